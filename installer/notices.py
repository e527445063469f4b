"""THIRD-PARTY-NOTICES: every package the desktop program and the district server ship, its version and licence,
with the licence texts themselves (#27).

    python installer/notices.py          # rewrite resources/THIRD-PARTY-NOTICES.txt (make lock runs it)
    python installer/notices.py --check  # exit 1 when the file no longer matches the locks (tests/test_notices.py)

The list is the union of ``requirements/<platform>/desktop.lock`` and ``district.lock`` -- exactly what ``make
bundle``, ``make dist`` and the server install put on a machine -- and each package's licence is read from the
metadata and licence files it installed here. The file lives in ``resources/``, so the wheel, the one-folder
bundle and both Debian packages carry it, and the desktop program shows it from 帮助 → 关于 → 第三方软件许可.

Qt for Python wheels install no licence file: the LGPL-3.0 and GPL-3.0 texts they are published under come from
``installer/licenses/``, with where to get the exact Qt and PySide6 sources (LGPL-3.0 section 4).
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "THIRD-PARTY-NOTICES.txt"
TEXTS = ROOT / "installer" / "licenses"
FONTS = ROOT / "resources" / "fonts"
SETS = {"desktop": "桌面程序", "district": "区级服务器"}
LICENCE_FILE = re.compile(r"(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
# Qt for Python: the licence its wheels declare, and the sources a recipient may ask for (LGPL-3.0 section 4).
QT_PACKAGES = {"pyside6-essentials", "pyside6-addons", "shiboken6"}
RULE = "=" * 78


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def platform_tag() -> str:
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
    return f"{system}-py{sys.version_info.major}{sys.version_info.minor}"


def locked(folder: Path) -> dict[str, tuple[str, list[str]]]:
    """name → (version, the sets that ship it), from the desktop and district locks."""
    found: dict[str, tuple[str, list[str]]] = {}
    for key in SETS:
        for line in (folder / f"{key}.lock").read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
            if match:
                name, version = normal(match.group(1)), match.group(2)
                found.setdefault(name, (version, []))[1].append(key)
    return found


def licence_name(meta) -> str:
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    declared = (meta.get("License") or "").strip().splitlines()
    if declared and len(declared[0]) <= 80:
        return declared[0]
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return "; ".join(classifiers) or "（见下方许可文本）"


def licence_files(dist: metadata.Distribution) -> list[tuple[str, str]]:
    """(file name, text) of the licence files a package installed into its .dist-info, in a stable order."""
    files = []
    for entry in dist.files or []:
        path = str(entry)
        if ".dist-info/" in path and LICENCE_FILE.search(path.rsplit("/", 1)[-1]):
            text = Path(dist.locate_file(entry)).read_text(encoding="utf-8", errors="replace")
            files.append((path.split(".dist-info/", 1)[1], text.strip()))
    return sorted(files)


def qt_sources(version: str) -> str:
    minor = ".".join(version.split(".")[:2])
    return (f"Qt {version} 与 Qt for Python（PySide6、Shiboken6）{version} 按 GNU LGPL 3.0 使用：以未经修改的动态库随附，\n"
            "可以用同一版本或兼容版本的库替换。完整源代码（LGPL-3.0 第4节）：\n"
            f"  https://download.qt.io/official_releases/qt/{minor}/{version}/single/\n"
            f"  https://download.qt.io/official_releases/QtForPython/pyside6/PySide6-{version}-src/\n"
            "Qt 自身包含的第三方组件及其许可：https://doc.qt.io/qt-6/licenses-used-in-qt.html")


def render(folder: Path) -> str:
    packages = locked(folder)
    # The licence read must be that of the version shipped: an environment the lock no longer describes is refused.
    wrong = [f"{name}（锁定 {version}，安装的是 {_installed(name) or '无'}）"
             for name, (version, _sets) in sorted(packages.items()) if _installed(name) != version]
    if wrong:
        raise SystemExit("当前环境与锁定文件不一致：" + "；".join(wrong) + "。先 make test 按锁定文件安装，再运行。")
    lines = ["实践站台账 · 第三方软件许可（THIRD-PARTY-NOTICES）", RULE,
             "本程序（Apache License 2.0）随附以下第三方软件，各按其许可使用，均未修改；许可全文附在后面。",
             "“用于”一栏：桌面程序（村、所、中心的电脑上安装的）、区级服务器（区里的服务器上单独安装的）。", "",
             "Python 3.11（Python Software Foundation License 2.0）：Windows 安装包和 Linux 单文件夹程序随附的解释器。",
             "Qt 6 / Qt for Python：GNU LGPL 3.0（见下文）。",
             "单文件夹程序的启动器来自 PyInstaller（GPL-2.0 附例外，允许随任何程序发布）；Windows 安装程序由 Inno Setup 制作",
             "（许可见 installer/LICENSE-InnoSetup.txt）。", ""]
    for name, (version, sets) in sorted(packages.items()):
        meta = metadata.distribution(name).metadata
        used = "、".join(SETS[s] for s in sets)
        lines.append(f"- {meta['Name']} {version}  [{licence_name(meta)}]  用于：{used}")
    lines += ["", "字体：文泉驿微米黑（wqy-microhei，Apache-2.0 或 GPL-3.0+ 附字体例外）、Droid Sans Fallback（Apache-2.0），",
              "在 resources/fonts/，许可和版权说明在同一文件夹。", ""]
    qt = next((packages[n][0] for n in sorted(QT_PACKAGES) if n in packages), None)
    if qt:
        lines += [RULE, qt_sources(qt), ""]
    seen: dict[str, str] = {}
    for name, (version, _sets) in sorted(packages.items()):
        dist = metadata.distribution(name)
        texts = licence_files(dist)
        lines += [RULE, f"{dist.metadata['Name']} {version}", RULE]
        if name in QT_PACKAGES and not texts:
            lines += ["按 LGPL-3.0 使用：全文见下文 GNU LESSER GENERAL PUBLIC LICENSE Version 3，源代码见上文。", ""]
        elif not texts:
            lines += ["（该包没有随附许可文件；许可：" + licence_name(dist.metadata) + "）", ""]
        for file_name, text in texts:
            if text in seen:
                lines += [f"[{file_name}] 与 {seen[text]} 的相同文件内容一致。", ""]
                continue
            seen[text] = f"{dist.metadata['Name']} 的 {file_name}"
            lines += [f"[{file_name}]", text, ""]
    for file_name in ("LGPL-3.0.txt", "GPL-3.0.txt", "Python-PSF-2.0.txt"):
        lines += [RULE, file_name, RULE, (TEXTS / file_name).read_text(encoding="utf-8").strip(), ""]
    for font_file in sorted(FONTS.glob("COPYRIGHT-*.txt")):
        lines += [RULE, f"resources/fonts/{font_file.name}", RULE, font_file.read_text(encoding="utf-8").strip(), ""]
    lines += [RULE, f"（本文件由 installer/notices.py 根据 requirements/{folder.name}/desktop.lock 和 district.lock 生成。）"]
    return "\n".join(lines).rstrip() + "\n"


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str]) -> int:
    folder = ROOT / "requirements" / platform_tag()
    text = render(folder)
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.name} 与 requirements/{folder.name} 的锁定文件不一致：运行 python installer/notices.py")
            return 1
        print(f"{OUT.name}：与锁定文件一致")
        return 0
    OUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"{OUT.name}：{len(locked(folder))} 个包，{len(text.encode('utf-8')) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
