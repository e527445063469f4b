"""make dist: the release artifacts, from the files git tracks (#27).

    python installer/linux/build_deb.py [--out dist] [--version 0.3.1] [--no-lintian]

Into ``--out``:

- ``station_ledger-<version>-py3-none-any.whl`` and ``station_ledger-<version>.tar.gz``, built by setuptools'
  own PEP 517 hooks in a tool venv whose setuptools comes from the dev lock (hashes checked), with
  SOURCE_DATE_EPOCH set to the last commit's time;
- ``station-district_<version>_amd64.deb`` and ``station-desktop_<version>_amd64.deb``, built by debhelper
  (``dpkg-buildpackage -b``) from installer/linux/debian: each a venv under /opt made from the hash-checked lock
  (requirements/linux-py311/district.lock, desktop.lock) and the wheel, with pip ``--no-index`` from a wheelhouse
  downloaded beforehand (the only step that uses the network: the package index pip.conf names). Then
  ``lintian`` checks both (installer/linux/debian/*.lintian-overrides say what it is told to accept, and why).

``--version`` builds the same tree under another version (``make deb-check`` builds 0.2.99 to upgrade from).
Needs Debian 12's python3.11, python3.11-venv, debhelper and lintian (apt-get install debhelper lintian).
"""

from __future__ import annotations

import argparse
import email.utils
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements" / "linux-py311"
PYTHON = "/usr/bin/python3.11"  # the target's interpreter: the venvs in the packages point at it
MAINTAINER = "Station Ledger maintainers <maintainers@users.noreply.r-seed-63e3bc61.example>"
PACKAGES = ("station-district", "station-desktop")
BUILD_TOOLS = ("setuptools",)  # pinned with its hash in the dev lock (it builds wheels itself since 70.1)


def say(text: str) -> None:
    print(text, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


def project_version(pyproject: Path) -> str:
    found = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"))
    if not found:
        raise SystemExit(f"{pyproject} 里没有 version")
    return found.group(1)


def stage_tree(work: Path, version: str | None) -> Path:
    """A copy of the files git tracks, and new ones it does not ignore (as they are in the work tree), under another
    version if asked. Nothing git ignores (.venv, build, dist) gets in."""
    dirty = run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True).stdout
    if dirty.strip():
        say("注意：工作区有未提交的改动，打包的是工作区里的文件（发布版请从干净的工作区打包）")
    tree = work / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    if version:
        pyproject = tree / "pyproject.toml"
        text = re.sub(r'(?m)^version\s*=\s*"[^"]+"', f'version = "{version}"', pyproject.read_text(encoding="utf-8"))
        pyproject.write_text(text, encoding="utf-8")
    return tree


def lock_lines(names: tuple[str, ...]) -> str:
    """The dev lock's entries (with hashes) for ``names``."""
    text = (LOCKS / "dev.lock").read_text(encoding="utf-8")
    entries = re.findall(r"(?m)^([A-Za-z0-9_.-]+)==(\S+) \\\n\s+(--hash=sha256:[0-9a-f]+)", text)
    chosen = [f"{name}=={version} {digest}" for name, version, digest in entries if name in names]
    if len(chosen) != len(names):
        raise SystemExit(f"dev.lock 里缺少打包工具：{', '.join(names)}")
    return "\n".join(chosen) + "\n"


def tool_venv(work: Path) -> Path:
    """Debian's Python with the locked setuptools: builds the wheel and sdist, downloads the wheelhouse."""
    venv = work / "tools"
    pins = lock_lines(BUILD_TOOLS)
    stamp = venv / "pins.txt"
    if not (stamp.exists() and stamp.read_text() == pins):
        shutil.rmtree(venv, ignore_errors=True)
        run([PYTHON, "-m", "venv", str(venv)])
        (venv / "requirements.txt").write_text(pins)
        run([str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check", "--require-hashes",
             "-r", str(venv / "requirements.txt")])
        stamp.write_text(pins)
    return venv


def build_python_artifacts(tools: Path, tree: Path, out: Path, epoch: str) -> tuple[Path, Path]:
    # (setuptools' hooks rewrite sys.argv: the folder is read before them)
    code = ("import sys; from setuptools import build_meta as b; out = sys.argv[1]; "
            "w = b.build_wheel(out); s = b.build_sdist(out); print('built:', w, s)")
    done = run([str(tools / "bin/python"), "-c", code, str(out)], cwd=tree, capture_output=True,
               env={**os.environ, "SOURCE_DATE_EPOCH": epoch})
    wheel_name, sdist_name = [line for line in done.stdout.splitlines() if line.startswith("built: ")][-1].split()[1:]
    return out / wheel_name, out / sdist_name


def wheelhouse(tools: Path, work: Path) -> Path:
    """Every file both locks name, hashes checked: downloaded once, kept between builds."""
    house = work / "wheelhouse"
    house.mkdir(parents=True, exist_ok=True)
    for lock in ("district.lock", "desktop.lock"):
        run([str(tools / "bin/pip"), "download", "-qq", "--disable-pip-version-check", "--no-deps",
             "--only-binary", ":all:", "--require-hashes", "-r", str(LOCKS / lock), "-d", str(house)])
    return house


def debian_changelog(version: str, epoch: str) -> str:
    date = email.utils.formatdate(int(epoch), usegmt=False)
    return (f"station-ledger ({version}) bookworm; urgency=medium\n\n"
            f"  * 实践站台账 {version}：改动见 /usr/share/doc/station-district/CHANGELOG.md\n\n"
            f" -- {MAINTAINER}  {date}\n")


def stage_package_source(work: Path, tree: Path, wheel: Path, house: Path, version: str, epoch: str) -> Path:
    """The directory dpkg-buildpackage runs in: debian/, the wheel, the wheelhouse, the locks, the packaged files."""
    source = work / "pkg" / f"station-ledger-{version}"
    shutil.rmtree(source.parent, ignore_errors=True)
    shutil.copytree(tree / "installer/linux/debian", source / "debian")
    (source / "debian/changelog").write_text(debian_changelog(version, epoch), encoding="utf-8")
    shutil.copytree(tree / "installer/linux", source / "linux", ignore=shutil.ignore_patterns("debian", "*.py"))
    shutil.copytree(house, source / "wheelhouse", copy_function=os.link)
    shutil.copy2(wheel, source / wheel.name)
    (source / "requirements").mkdir()
    for lock in ("district.lock", "desktop.lock"):
        shutil.copy2(tree / "requirements/linux-py311" / lock, source / "requirements" / lock)
    (source / "docs").mkdir()
    shutil.copy2(tree / "docs/deploy.md", source / "docs/deploy.md")
    shutil.copy2(tree / "CHANGELOG.md", source / "docs/CHANGELOG.md")  # (at the top, debhelper takes it for Debian's)
    shutil.copy2(tree / "resources/THIRD-PARTY-NOTICES.txt", source / "docs/THIRD-PARTY-NOTICES.txt")
    shutil.copy2(tree / "LICENSE", source / "LICENSE")
    shutil.copy2(tree / "resources/icons/station.png", source / "station.png")
    return source


def lintian(debs: list[Path]) -> int:
    if not shutil.which("lintian"):
        say("没有 lintian（apt-get install lintian）：跳过检查")
        return 0
    say("lintian：")
    done = subprocess.run(["lintian", "--display-info", "--fail-on", "error", *map(str, debs)],
                          text=True, capture_output=True)
    say(done.stdout.rstrip() or "  （没有发现问题）")
    if done.stderr.strip():
        say(done.stderr.rstrip())
    return done.returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build/dist")
    parser.add_argument("--version", help="build the tree under this version instead of pyproject.toml's")
    parser.add_argument("--no-lintian", action="store_true")
    args = parser.parse_args(argv)
    for tool, package in ((PYTHON, "python3.11"), ("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper")):
        if not shutil.which(tool):
            say(f"缺少 {tool}：apt-get install {package} python3.11-venv debhelper lintian")
            return 2
    work, out = args.work.resolve(), args.out.resolve()
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    epoch = run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True).stdout.strip()
    tree = stage_tree(work, args.version)
    version = project_version(tree / "pyproject.toml")
    tools = tool_venv(work)
    for old in out.glob(f"station[-_]*{version}*"):
        old.unlink()
    wheel, sdist = build_python_artifacts(tools, tree, out, epoch)
    say(f"{wheel.name}、{sdist.name}")
    house = wheelhouse(tools, work)
    source = stage_package_source(work, tree, wheel, house, version, epoch)
    say(f"打包 {', '.join(PACKAGES)} {version}（dpkg-buildpackage）……")
    log = work / f"dpkg-buildpackage-{version}.log"
    with log.open("w") as sink:
        built = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=source, stdout=sink,
                               stderr=subprocess.STDOUT, env={**os.environ, "SOURCE_DATE_EPOCH": epoch})
    if built.returncode != 0:
        say(f"打包失败，见 {log}：\n" + "".join(log.read_text().splitlines(keepends=True)[-30:]))
        return 1
    debs = []
    for package in PACKAGES:
        deb = source.parent / f"{package}_{version}_amd64.deb"
        shutil.move(deb, out / deb.name)
        debs.append(out / deb.name)
        say(f"{deb.name}（{(out / deb.name).stat().st_size / 1024 / 1024:.0f} MB）")
    say(f"用时 {time.monotonic() - started:.0f} 秒，产物在 {out}")
    return 0 if args.no_lintian else lintian(debs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
