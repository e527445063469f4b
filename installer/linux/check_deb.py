"""make deb-check: the Debian packages installed, run, upgraded, removed and purged in a minimal Debian 12 root.

    python installer/linux/check_deb.py [--cache /var/tmp/station-deb] [--old DIR] [--new DIR]

Needs root (debootstrap, chroot, mount) and, the first time, the Debian mirror. What it does (it prints each check,
and stops at the first that fails):

1. A minimal bookworm root (``debootstrap --variant=minbase``) with PostgreSQL 15 in it, made once at
   ``--cache``/base and kept; each run copies it to ``--cache``/root, so every run starts from the same system.
   The packages apt fetches are kept in ``--cache``/apt-archives. Mounts (proc, /dev/shm, the apt cache) live in a
   private mount namespace (``unshare``): they go away with the check, however it ends.
2. The previous version (``--old``: ``make deb-check`` builds this tree as 0.2.99) installed with ``dpkg -i`` and
   its dependencies from Debian with ``apt-get install -f``: the service user, the 0600 environment file, the
   enabled units, the venv without Qt, postinst's next steps; the desktop's launcher, menu entry, icon and the Qt
   libraries it needs from Debian.
3. The manual's steps (docs/deploy.md): a database user with a password, the environment file, ``station-district
   migrate``, the first staff account; then the server started as its systemd unit would start it (systemd does
   not run in a chroot: the unit's user, environment file, ExecStartPre and ExecStart, on another port), /healthz,
   and the demo district synced to it over the network (nine ledgers); the backup service's script with rotation.
4. An upgrade to ``--new`` (dist/, from ``make dist``) with ``dpkg -i``: postinst runs ``migrate``, every table keeps
   every row, the person link key stays, the new server answers /healthz with the new version.
5. ``dpkg -r``: the programs go, the data, the configuration and the database stay; ``dpkg -P``: the data folder and
   the configuration go too (the database and the backups stay, as postrm says).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
MIRROR = "http://deb.debian.org/debian"
PG_PORT = 55432  # the root shares the host's network: ports the host is unlikely to use
SERVER_PORT = 18700
DB_PASSWORD = "Zhan-Tai-2026"
BASE_PACKAGES = ["postgresql", "ca-certificates"]
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
       "DEBIAN_FRONTEND": "noninteractive"}


class CheckFailed(Exception):
    pass


def say(text: str) -> None:
    print(text, flush=True)


def gzip_or_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)
    say(f"  ok  {what}")


class Root:
    """A chroot and the commands run in it."""

    def __init__(self, path: Path):
        self.path = path

    def __truediv__(self, name: str) -> Path:
        return self.path / name.lstrip("/")

    def sh(self, script: str, *, ok: bool = True, stdin: str | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
        done = subprocess.run(["chroot", str(self.path), "/bin/sh", "-c", script], env=ENV, text=True, input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        if ok and done.returncode != 0:
            raise CheckFailed(f"命令失败（{done.returncode}）：{script}\n{done.stdout[-3000:]}")
        return done

    def psql(self, sql: str) -> str:
        """The answer of ``sql`` (given on standard input: no shell quoting) in the station database, as postgres."""
        return self.sh(f"su postgres -s /bin/sh -c 'psql -p {PG_PORT} -d station -tA -F \" \" -v ON_ERROR_STOP=1'",
                       stdin=sql + ";\n").stdout.strip()


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def ensure_base(base: Path) -> None:
    if (base / ".station-base").exists():
        say(f"Debian 12 root: {base} (made earlier)")
        return
    say(f"Debian 12 root: making it at {base} (the first time: a few minutes)")
    if not shutil.which("debootstrap"):
        subprocess.run(["apt-get", "install", "-y", "-q", "debootstrap"], check=True, env=ENV, stdout=subprocess.DEVNULL)
    if not (base / "usr/bin/apt-get").exists():
        shutil.rmtree(base, ignore_errors=True)
        subprocess.run(["debootstrap", "--variant=minbase", "--arch=amd64", "bookworm", str(base), MIRROR], check=True,
                       stdout=subprocess.DEVNULL)
    root = Root(base)
    # Services are not started by packages in the root (no init there); postgresql is started by the check itself.
    (base / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
    (base / "usr/sbin/policy-rc.d").chmod(0o755)
    mount_all(root, None)
    try:
        root.sh(f"apt-get update -q && apt-get install -y -q --no-install-recommends {' '.join(BASE_PACKAGES)}")
        conf = base / "etc/postgresql/15/main/postgresql.conf"
        conf.write_text(re.sub(r"(?m)^port = \d+", f"port = {PG_PORT}", conf.read_text()) + "listen_addresses = '127.0.0.1'\n")
    finally:
        unmount_all(root)
    (base / ".station-base").write_text("bookworm minbase + postgresql\n")


MOUNTS = ("proc", "dev/shm", "var/cache/apt/archives")


def mount_all(root: Root, archives: Path | None) -> None:
    mount("-t", "proc", "proc", str(root / "proc"))
    mount("-t", "tmpfs", "-o", "mode=1777", "shm", str(root / "dev/shm"))
    if archives:
        archives.mkdir(parents=True, exist_ok=True)
        mount("--bind", str(archives), str(root / "var/cache/apt/archives"))


def unmount_all(root: Root) -> None:
    for point in reversed(MOUNTS):
        if os.path.ismount(root / point):
            subprocess.run(["umount", "-l", str(root / point)], check=False)


def fresh_root(cache: Path) -> Root:
    path = cache / "root"
    if path.exists():
        unmount_all(Root(path))
        shutil.rmtree(path)
    subprocess.run(["cp", "-a", "--reflink=auto", str(cache / "base"), str(path)], check=True)
    return Root(path)


def debs(folder: Path, version: str | None = None) -> dict[str, Path]:
    found = {}
    for package in ("station-district", "station-desktop"):
        matches = sorted(folder.glob(f"{package}_{version or '*'}_amd64.deb"))
        if not matches:
            raise CheckFailed(f"{folder} 里没有 {package} 的 .deb（先运行 make dist）")
        found[package] = matches[-1]
    return found


def deb_version(deb: Path) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, text=True, capture_output=True).stdout.strip()


def unit_command(root: Root, unit: str, port: int | None = None) -> tuple[str, dict[str, str], list[list[str]]]:
    """(User, environment, [ExecStartPre…, ExecStart]) of an installed unit, as systemd would run it."""
    text = (root / f"lib/systemd/system/{unit}").read_text(encoding="utf-8")
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    env = dict(ENV)
    for assignment in " ".join(values.get("Environment", [])).split():
        key, value = assignment.split("=", 1)
        env[key] = value
    for env_file in values.get("EnvironmentFile", []):  # systemd: the file's values win over Environment=
        for line in (root / env_file.lstrip("-")).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and line[0] not in "#;" and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip().strip("\"'")
    commands = [cmd.split() for cmd in values.get("ExecStartPre", []) + values.get("ExecStart", [])]
    if port:
        commands = [[str(port) if arg == "8700" else arg for arg in cmd] for cmd in commands]
    return values["User"][0], env, commands


def as_user(root: Root, user: str, cmd: list[str]) -> list[str]:
    return ["chroot", str(root.path), "setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *cmd]


def start_server(root: Root) -> subprocess.Popen:
    """station-district.service's ExecStartPre and ExecStart, as its user with its environment."""
    user, env, commands = unit_command(root, "station-district.service", SERVER_PORT)
    for pre in commands[:-1]:
        done = subprocess.run(as_user(root, user, pre), env=env, text=True, capture_output=True, timeout=300)
        if done.returncode != 0:
            raise CheckFailed(f"ExecStartPre 失败：{' '.join(pre)}\n{done.stdout}{done.stderr}")
    log = open(root / "tmp/server.log", "a")
    server = subprocess.Popen(as_user(root, user, commands[-1]), env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    return server


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def healthz(server: subprocess.Popen, root: Root, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CheckFailed(f"服务退出了（{server.returncode}）：\n{(root / 'tmp/server.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{SERVER_PORT}/healthz", timeout=5) as answer:
                return json.loads(answer.read())
        except OSError:
            time.sleep(0.5)
    raise CheckFailed(f"/healthz 在 {seconds:.0f} 秒内没有回答：\n{(root / 'tmp/server.log').read_text()[-3000:]}")


def row_counts(root: Root) -> dict[str, int]:
    tables = root.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split()
    rows = root.psql(" UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables))
    return {name: int(count) for name, count in (line.split() for line in rows.splitlines() if line.strip())}


def installed(root: Root, package: str) -> str:
    done = root.sh(f"dpkg-query -W -f='${{Status}} ${{Version}}' {package}", ok=False)
    return done.stdout.strip() if done.returncode == 0 else "not-installed"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_checks(root: Root, old: dict[str, Path], new: dict[str, Path]) -> None:
    old_version, new_version = deb_version(old["station-district"]), deb_version(new["station-district"])
    for tag, found in (("old", old), ("new", new)):
        (root / f"tmp/debs/{tag}").mkdir(parents=True)
        for deb in found.values():
            shutil.copy2(deb, root / f"tmp/debs/{tag}/{deb.name}")
    root.sh("pg_ctlcluster 15 main start")
    say(f"install {old_version}: dpkg -i, then apt-get install -f for the dependencies from Debian")
    first = root.sh("dpkg -i /tmp/debs/old/*.deb", ok=False)
    fixed = root.sh("apt-get install -f -y -q --no-install-recommends")
    said = first.stdout + fixed.stdout
    for package in ("station-district", "station-desktop"):
        check(installed(root, package) == f"install ok installed {old_version}", f"{package} {old_version} installed")
    check("还没有配置数据库，服务暂不启动" in said and "sudo station-district migrate" in said,
          "postinst prints the next steps in Chinese (no database configured yet)")
    passwd = root.sh("getent passwd station").stdout.split(":")
    check(int(passwd[2]) < 1000 and passwd[5] == "/var/lib/station", f"system user station (uid {passwd[2]}, home {passwd[5]})")
    env_file = os.stat(root / "etc/station/district.env")
    check(env_file.st_mode & 0o777 == 0o600 and env_file.st_uid == 0, "/etc/station/district.env is 0600 root")
    state = os.stat(root / "var/lib/station")
    check(state.st_mode & 0o777 == 0o750 and state.st_uid == int(passwd[2]), "/var/lib/station is station's, 0750")
    check((root / "etc/systemd/system/multi-user.target.wants/station-district.service").is_symlink()
          and (root / "etc/systemd/system/timers.target.wants/station-district-backup.timer").is_symlink(),
          "station-district.service and the backup timer enabled (deb-systemd-helper)")
    check(root.sh("/opt/station/bin/python -c 'import PySide6'", ok=False).returncode != 0
          and root.sh("/opt/station/bin/python -c 'import fastapi, uvicorn, psycopg'", ok=False).returncode == 0,
          "the district's venv has FastAPI, uvicorn and psycopg and no PySide6")
    check(old_version in root.sh("/opt/station/bin/station --version").stdout, f"/opt/station/bin/station --version: {old_version}")
    desktop = root / "usr/share/applications/station-ledger.desktop"
    check(desktop.exists() and "Name=实践站台账" in desktop.read_text(encoding="utf-8")
          and (root / "usr/share/icons/hicolor/256x256/apps/station-ledger.png").exists(),
          "menu entry 实践站台账 with its icon")
    for package, shipped in (("station-district", "psycopg"), ("station-desktop", "PySide6_Essentials")):
        doc = root / f"usr/share/doc/{package}"
        notices = sorted(p.name for p in doc.glob("THIRD-PARTY-NOTICES.txt*"))  # (dh_compress gzips large docs)
        check(bool(notices) and shipped in gzip_or_text(doc / notices[0]),
              f"/usr/share/doc/{package}/{notices[0] if notices else 'THIRD-PARTY-NOTICES.txt'} names {shipped}")
    check(old_version in root.sh("station --version").stdout, f"/usr/bin/station --version: {old_version}")
    plugins = "/opt/station-desktop/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms"
    missing = root.sh(f"ldd {plugins}/libqxcb.so {plugins}/libqoffscreen.so | grep 'not found' || true").stdout.strip()
    check(not missing, "Qt's xcb platform finds every library it needs from Debian" + (f": {missing}" if missing else ""))
    started = time.monotonic()
    selftest = root.sh("cd /tmp && QT_QPA_PLATFORM=offscreen station selftest", ok=False)
    check(selftest.returncode == 0, f"station selftest (offscreen) passes ({time.monotonic() - started:.0f} s)"
          + ("" if selftest.returncode == 0 else "\n" + selftest.stdout[-2000:]))

    say("the manual's steps: database user with a password, district.env, migrate, the first staff account")
    root.sh(f"su postgres -s /bin/sh -c \"psql -p {PG_PORT} -qc \\\"CREATE ROLE station LOGIN PASSWORD '{DB_PASSWORD}'\\\"\""
            f" && su postgres -s /bin/sh -c 'createdb -p {PG_PORT} -O station station'")
    env_path = root / "etc/station/district.env"
    env_path.write_text(re.sub(r"(?m)^STATION_DISTRICT_DB=.*$",
                               f"STATION_DISTRICT_DB=postgresql+psycopg://station:{DB_PASSWORD}@127.0.0.1:{PG_PORT}/station",
                               env_path.read_text(encoding="utf-8")), encoding="utf-8")
    migrated = root.sh("station-district migrate").stdout
    check("区级数据库已是最新结构" in migrated, f"station-district migrate: {migrated.strip()}")
    key = root / "var/lib/station/person-link.key"
    check(key.exists() and key.stat().st_uid == int(passwd[2]), "the person link key made, the service user's")
    root.sh("station-district add-staff --username wmb --name 区文明办 --password-stdin", stdin="Qu-Wmb-2026-pass\n")
    check("wmb" in root.sh("station-district list-staff").stdout, "staff account wmb added (password from stdin)")

    say(f"the server, as station-district.service starts it (its user, EnvironmentFile, ExecStartPre, ExecStart; port {SERVER_PORT})")
    server = start_server(root)
    try:
        health = healthz(server, root)
        check(health.get("status") == "ok" and health.get("version") == old_version, f"/healthz: {health}")
        started = time.monotonic()
        demo = root.sh(f"mkdir -p /tmp/demo && chown station: /tmp/demo && station-district demo /tmp/demo/ledgers "
                       f"--server http://127.0.0.1:{SERVER_PORT}", ok=False)
        check(demo.returncode == 0 and "经网络同步到" in demo.stdout,
              f"demo district: nine ledgers synced to the server over the network ({time.monotonic() - started:.0f} s)"
              + ("" if demo.returncode == 0 else "\n" + demo.stdout[-2000:]))
    finally:
        stop_server(server)

    say("the daily backup, as station-district-backup.service runs it")
    backups = root / "var/backups/station"
    for day in range(1, 16):  # fifteen older dumps: with the one made now, the newest 14 stay
        (backups / f"station-202001{day:02d}-021500.dump").write_bytes(b"old")
    user, env, commands = unit_command(root, "station-district-backup.service")
    done = subprocess.run(as_user(root, user, commands[-1]), env=env, text=True, capture_output=True)
    check(done.returncode == 0 and "已备份数据库到" in done.stdout, "backup: " + (done.stdout + done.stderr).strip().splitlines()[0])
    dumps = sorted(p.name for p in backups.glob("station-*.dump"))
    check(len(dumps) == 14 and "station-20200101-021500.dump" not in dumps and not dumps[-1].startswith("station-2020"),
          f"rotation keeps the newest 14 ({dumps[0]} … {dumps[-1]})")
    check(root.sh(f"pg_restore -l /var/backups/station/{dumps[-1]} | grep -c 'TABLE DATA'").stdout.strip() != "0"
          and sha(backups / "person-link.key") == sha(key), "the dump reads back (pg_restore -l); the person link key beside it")

    before, key_before = row_counts(root), sha(key)
    say(f"upgrade to {new_version}: dpkg -i")
    upgrade = root.sh("dpkg -i /tmp/debs/new/*.deb")
    for package in ("station-district", "station-desktop"):
        check(installed(root, package) == f"install ok installed {new_version}", f"{package} {new_version} installed")
    check("正在升级数据库结构" in upgrade.stdout and "区级数据库已是最新结构" in upgrade.stdout, "postinst ran migrate")
    after = row_counts(root)
    check(after == before and sum(after.values()) > 0,
          f"every table keeps every row ({sum(after.values())} rows in {len(after)} tables; "
          f"{after.get('station_account', 0)} station accounts, {after.get('staff', 0)} staff)")
    check(sha(key) == key_before, "the person link key kept")
    server = start_server(root)
    try:
        health = healthz(server, root)
        check(health.get("status") == "ok" and health.get("version") == new_version, f"/healthz after the upgrade: {health}")
    finally:
        stop_server(server)

    say("remove (dpkg -r): programs go, data stays")
    removed = root.sh("dpkg -r station-district station-desktop").stdout
    check(not (root / "opt/station").exists() and not (root / "opt/station-desktop").exists()
          and not (root / "usr/bin/station").exists(), "/opt/station, /opt/station-desktop and /usr/bin/station gone")
    check(key.exists() and env_path.exists() and "config-files" in installed(root, "station-district"),
          "/var/lib/station and /etc/station/district.env kept")
    check(row_counts(root) == after and any(backups.glob("station-*.dump")), "the database and the backups kept")
    check("数据目录 /var/lib/station" in removed, "postrm says in Chinese what stays")

    say("purge (dpkg -P): data folder and configuration go")
    purged = root.sh("dpkg -P station-district station-desktop").stdout
    check(not (root / "var/lib/station").exists() and not (root / "etc/station").exists(), "/var/lib/station and /etc/station gone")
    check("not-installed" in installed(root, "station-district"), "station-district purged")
    check(not desktop.exists(), "menu entry gone")
    check("没有删除" in purged and any(backups.glob("station-*.dump")), "the database and backups stay, and postrm says so")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/var/tmp/station-deb"))
    parser.add_argument("--old", type=Path, default=PROJECT / "build/deb-check", help="the previous version's .deb files")
    parser.add_argument("--new", type=Path, default=PROJECT / "dist", help="this version's .deb files (make dist)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        say("需要 root（debootstrap、chroot、mount）")
        return 2
    if not os.environ.get("STATION_DEB_CHECK_NS"):  # every mount in a namespace of its own: gone when the check ends
        os.environ["STATION_DEB_CHECK_NS"] = "1"
        os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable, __file__, *argv])  # noqa: S606 - argv, no shell
    started = time.monotonic()
    cache: Path = args.cache
    root = None
    try:
        old, new = debs(args.old), debs(args.new)
        cache.mkdir(parents=True, exist_ok=True)
        ensure_base(cache / "base")
        root = fresh_root(cache)
        mount_all(root, cache / "apt-archives")
        run_checks(root, old, new)
    except CheckFailed as exc:
        say(f"  FAILED  {exc}")
        return 1
    finally:
        if root:
            root.sh("pg_ctlcluster 15 main stop -m fast", ok=False)
            unmount_all(root)
    say(f"deb-check: all passed ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
