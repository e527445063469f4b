"""make installer-check: compile installer/station.iss with stock Inno Setup 6 and install it for real under wine.

    python installer/check.py [--chroot DIR] [--dist DIR]

What it does (it prints each check as it goes, and exits non-zero on the first that fails):

1. A wine that can run ISCC (a 32-bit program, so wine32:i386). On this Debian the i386 packages clash with the
   amd64 security updates, so wine lives in a minimal bookworm chroot (``debootstrap --variant=minbase``,
   without the security suite) at ``--chroot`` (default /var/tmp/station-wine), made once and kept.
   Needs root (debootstrap, chroot) and the Debian and npm registries the first time.
2. Inno Setup 6.4.1 from the npm package ``innosetup`` (it ships ISCC.exe and stock Inno Setup 6's files, which
   have no Simplified Chinese: the script uses our own installer/ChineseSimplified.isl).
3. The real Windows bundle cannot be built on Linux: the Linux ``dist/station`` tree (``make bundle``) is
   installed under the Windows names (``station.exe``, ``station-cli.exe``, ``_internal``). Version 0.1.0
   carries one more library, ``_internal/left-by-0.1.0.dll``, which an upgrade must remove.
4. Compiled twice (0.1.0 and 0.2.0, ``/DCompression=zip/1`` for speed), then under wine with Windows 10 and a
   virtual screen (Xvfb): a silent install of 0.1.0 (files, Start-menu and desktop shortcuts started in the
   user's Documents, the uninstall entry, the data folder in ProgramData); a station database written into the
   data folder; an upgrade to 0.2.0 (the stale library gone, the data kept, the version in the uninstall
   entry); a silent uninstall (program files and shortcuts gone, the data kept).

Not checked here (no Windows): the ProgramData ``users-modify`` permission and the real exe's first start;
installer/README.md says how to check those on a Windows PC.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INNO_NPM = "innosetup@6.4.1"
WINE_PACKAGES = ["wine", "wine32:i386", "wine64", "xvfb", "xauth"]
APP_DIR = "root/.wine/drive_c/Program Files/StationLedger"
DATA_DIR = "root/.wine/drive_c/ProgramData/StationLedger"
START_MENU = "root/.wine/drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/实践站台账"
DESKTOP = "root/.wine/drive_c/users/Public/Desktop"
APP_ID = "6D3C2B7E-5A2F-4C1E-9E44-5B7C1F0A2D11"  # installer/station.iss


class CheckFailed(Exception):
    pass


def say(text: str) -> None:
    print(text, flush=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)
    say(f"  ok  {what}")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


def in_chroot(chroot: Path, script: str, *, timeout: int = 900) -> str:
    """``script`` (sh) inside the chroot, with wine quiet and a virtual screen; returns its output."""
    wrapped = ("export HOME=/root WINEDEBUG=-all DISPLAY=:7; "
               "(Xvfb :7 -screen 0 1366x768x24 >/dev/null 2>&1 &) ; sleep 1; " + script)
    done = subprocess.run(["chroot", str(chroot), "sh", "-c", wrapped], text=True, capture_output=True, timeout=timeout)
    if done.returncode != 0:
        raise CheckFailed(f"在 wine 中执行失败（{done.returncode}）：{script}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def ensure_wine(chroot: Path) -> None:
    if all(os.path.lexists(chroot / f"usr/bin/{name}") for name in ("wine", "Xvfb")):  # (absolute links: lexists)
        say(f"wine: the chroot at {chroot} (made earlier)")
        return
    say(f"wine: making a minimal bookworm chroot at {chroot} (the first time: a few minutes)")
    if not shutil.which("debootstrap"):
        run(["apt-get", "install", "-y", "-q", "debootstrap"], env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    chroot.mkdir(parents=True, exist_ok=True)
    run(["debootstrap", "--variant=minbase", "--arch=amd64", "bookworm", str(chroot), "http://deb.debian.org/debian"],
        stdout=subprocess.DEVNULL)
    mount_proc(chroot)
    run(["chroot", str(chroot), "sh", "-c",
         "dpkg --add-architecture i386 && apt-get update -q && DEBIAN_FRONTEND=noninteractive "
         f"apt-get install -y -q --no-install-recommends {' '.join(WINE_PACKAGES)}"], stdout=subprocess.DEVNULL)


def mount_proc(chroot: Path) -> None:
    if not (chroot / "proc/self").exists():
        run(["mount", "-t", "proc", "proc", str(chroot / "proc")])


def ensure_inno(chroot: Path) -> Path:
    iscc = chroot / "opt/innosetup/bin/ISCC.exe"
    if iscc.exists():
        return iscc
    say(f"Inno Setup: npm pack {INNO_NPM}")
    with tempfile.TemporaryDirectory() as tmp:
        run(["npm", "pack", INNO_NPM, "--silent"], cwd=tmp, stdout=subprocess.DEVNULL)
        archive = next(Path(tmp).glob("innosetup-*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        target = chroot / "opt/innosetup"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(tmp) / "package", target)
    return iscc


def stage(chroot: Path, dist: Path) -> Path:
    """The project's installer/ and icon, and two program trees under the Windows names."""
    work = chroot / "work/station-installer"
    shutil.rmtree(work, ignore_errors=True)
    (work / "resources/icons").mkdir(parents=True)
    shutil.copytree(ROOT / "installer", work / "installer", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "resources/icons/station.ico", work / "resources/icons/station.ico")
    for version in ("0.1.0", "0.2.0"):
        tree = work / f"tree-{version}/station"
        shutil.copytree(dist / "_internal", tree / "_internal", symlinks=True)
        shutil.copy(dist / "station", tree / "station.exe")
        shutil.copy(dist / "station", tree / "station-cli.exe")
        (tree / "version.txt").write_text(version, encoding="ascii")
        if version == "0.1.0":
            (tree / "_internal/left-by-0.1.0.dll").write_bytes(b"stale")
    return work


def compile_setup(chroot: Path, work: Path, version: str) -> str:
    # the script takes its files from ..\dist\station: point that at this version's tree
    dist = work / "dist"
    if dist.is_symlink() or dist.exists():
        dist.unlink() if dist.is_symlink() else shutil.rmtree(dist)
    dist.symlink_to(f"tree-{version}")
    out = in_chroot(chroot, f"cd /work/station-installer/installer && wine /opt/innosetup/bin/ISCC.exe /Q "
                            f"/DAppVersion={version} /DCompression=zip/1 /O../setups station.iss")
    setup = work / f"setups/StationLedger-{version}-setup.exe"
    check(setup.exists(), f"{version}: compiled by stock Inno Setup 6.4.1 with installer/ChineseSimplified.isl ({setup.stat().st_size // 1024 // 1024} MB)")
    return out


def uninstall_entry(chroot: Path) -> dict[str, str]:
    """The installer's entry in 程序和功能, read from the wine prefix's registry once wine has written it."""
    in_chroot(chroot, "wineserver -w")
    key = "[Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Uninstall\\\\{" + APP_ID + "}_is1]"
    text = (chroot / "root/.wine/system.reg").read_text(encoding="utf-8", errors="replace")
    if key not in text:
        return {}
    values = {}
    for line in text.split(key, 1)[1].splitlines()[1:]:
        if line.startswith("["):
            break
        if line.startswith('"') and '"="' in line:
            name, value = line[1:].split('"="', 1)
            values[name] = _wine_unescape(value[:-1] if value.endswith('"') else value)
    return values


def _wine_unescape(value: str) -> str:
    """Wine's registry files write \\x5b9e for 实 (up to four hex digits), \\\\ for a backslash, \\" for a quote."""
    return re.sub(r'\\(x[0-9a-fA-F]{1,4}|.)', lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x" else m.group(1), value)


def lnk_text(path: Path) -> str:
    data = path.read_bytes()
    # the strings of a .lnk are UTF-16, at even or odd offsets
    return "\n".join((data.decode("utf-16-le", errors="ignore"), data[1:].decode("utf-16-le", errors="ignore"),
                      data.decode("latin-1", errors="ignore")))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chroot", type=Path, default=Path("/var/tmp/station-wine"))
    parser.add_argument("--dist", type=Path, default=ROOT / "dist/station", help="a built bundle (make bundle)")
    args = parser.parse_args(argv)
    chroot: Path = args.chroot
    if not (args.dist / "station").exists():
        say(f"没有找到程序包 {args.dist}：请先运行 make bundle")
        return 2
    try:
        ensure_wine(chroot)
        mount_proc(chroot)
        ensure_inno(chroot)
        in_chroot(chroot, "rm -rf /root/.wine && wineboot -i >/dev/null 2>&1; wine winecfg -v win10")
        work = stage(chroot, args.dist)
        for version in ("0.1.0", "0.2.0"):
            compile_setup(chroot, work, version)
        app, data = chroot / APP_DIR, chroot / DATA_DIR
        install = "cd /work/station-installer/setups && wine StationLedger-{v}-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /LOG=Z:\\\\work\\\\station-installer\\\\install-{v}.log"

        say("install 0.1.0 (silent):")
        in_chroot(chroot, install.format(v="0.1.0"))
        check((app / "station.exe").exists() and (app / "station-cli.exe").exists() and (app / "_internal").is_dir(),
              "station.exe, station-cli.exe and _internal in Program Files\\StationLedger")
        check((app / "version.txt").read_text() == "0.1.0" and (app / "_internal/left-by-0.1.0.dll").exists(), "version 0.1.0 installed")
        shortcuts = {p.name for p in (chroot / START_MENU).glob("*.lnk")}
        check(shortcuts == {"实践站台账.lnk", "实践站台账自检（命令行）.lnk", "使用手册.lnk", "第三方软件许可.lnk", "卸载实践站台账.lnk"},
              f"Start-menu shortcuts: {sorted(shortcuts)}")
        desktop = chroot / DESKTOP / "实践站台账.lnk"
        check(desktop.exists(), "desktop shortcut 实践站台账")
        check("%USERPROFILE%\\Documents" in lnk_text(desktop) and "%USERPROFILE%\\Documents" in lnk_text(chroot / START_MENU / "实践站台账.lnk"),
              "shortcuts start in %USERPROFILE%\\Documents (not Program Files)")
        check("selftest" in lnk_text(chroot / START_MENU / "实践站台账自检（命令行）.lnk"), "the selftest shortcut runs station-cli.exe selftest")
        check(data.is_dir(), "data folder ProgramData\\StationLedger made")
        check(uninstall_entry(chroot).get("DisplayVersion") == "0.1.0", "uninstall entry (程序和功能) shows 0.1.0")
        (data / "station.db").write_bytes(b"SQLite format 3\x00 a station's ledger")
        (data / "photos").mkdir(exist_ok=True)
        (data / "photos/activity.jpg").write_bytes(b"\xff\xd8 photo")

        say("upgrade to 0.2.0 (silent, over 0.1.0):")
        in_chroot(chroot, install.format(v="0.2.0"))
        check((app / "version.txt").read_text() == "0.2.0", "version 0.2.0 installed")
        check(not (app / "_internal/left-by-0.1.0.dll").exists(), "0.1.0's stale library removed ([InstallDelete])")
        check((data / "station.db").read_bytes().startswith(b"SQLite format 3") and (data / "photos/activity.jpg").exists(),
              "the data (station.db, photos) kept")
        entry = uninstall_entry(chroot)
        check(entry.get("DisplayVersion") == "0.2.0" and entry.get("DisplayName", "").startswith("实践站台账"),
              f"uninstall entry shows {entry.get('DisplayName')} {entry.get('DisplayVersion')}")

        say("uninstall (silent):")
        in_chroot(chroot, "cd '/root/.wine/drive_c/Program Files/StationLedger' && wine unins000.exe /VERYSILENT /SUPPRESSMSGBOXES; sleep 3")
        check(not (app / "station.exe").exists() and not (app / "_internal").exists(), "program files removed")
        check(not (chroot / START_MENU).exists() and not desktop.exists(), "shortcuts removed")
        check((data / "station.db").exists() and (data / "photos/activity.jpg").exists(), "the data kept after uninstalling")
    except CheckFailed as exc:
        say(f"  FAILED  {exc}")
        return 1
    say("installer-check: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
