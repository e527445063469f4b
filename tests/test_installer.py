"""The Windows installer's script and its own Simplified Chinese messages (make installer-check compiles and
installs them for real under wine; this checks, on every run, what that check relies on)."""

from __future__ import annotations

import re
from pathlib import Path

INSTALLER = Path(__file__).resolve().parent.parent / "installer"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _messages(text: str) -> dict[str, str]:
    entries, section = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip()
        elif section in ("[Messages]", "[CustomMessages]") and "=" in line and not line.startswith(";"):
            key, value = line.split("=", 1)
            entries[key] = value
    return entries


def test_the_script_uses_the_translation_in_the_repository_not_one_stock_inno_setup_6_lacks():
    script = (INSTALLER / "station.iss").read_text(encoding="utf-8")
    assert 'MessagesFile: "ChineseSimplified.isl"' in script and "compiler:Languages" not in script
    assert (INSTALLER / "LICENSE-InnoSetup.txt").read_text(encoding="utf-8").startswith("Inno Setup License")


def test_every_installer_message_is_chinese_and_keeps_its_placeholders():
    raw = (INSTALLER / "ChineseSimplified.isl").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: how Inno Setup 6 knows a Unicode .isl
    text = raw.decode("utf-8-sig")
    assert "LanguageID=$0804" in text and "LanguageCodePage=936" in text and "LanguageName=简体中文" in text
    messages = _messages(text)
    assert len(messages) >= 270  # Inno Setup 6.4's Default.isl: every message, none left to the English default
    # every message has Chinese in it, but a size ("%1 KB") or a name pattern ("%1（%2）")
    untranslated = [k for k, v in messages.items() if v and not CJK.search(v) and re.search(r"[A-Za-z]{3,}", v)]
    assert untranslated == []
    # Inno Setup fills these in: a translation that loses one shows a message without its name or number
    for key, placeholders in {"SetupWindowTitle": ["%1"], "LastErrorMessage": ["%1", "%2", "%3"], "WelcomeLabel2": ["[name/ver]"],
                              "DiskSpaceWarning": ["%1", "%2"], "DirExists": ["%1"], "ErrorFunctionFailedWithMessage": ["%1", "%2", "%3"],
                              "FileNotInDir2": ["%1", "%2"], "ButtonNext": ["&N"], "CreateDesktopIcon": ["&D"]}.items():
        assert all(p in messages[key] for p in placeholders), key
    assert messages["WindowsVersionNotSupported"] == "此程序不支持本电脑所用的 Windows 版本。"  # what Windows 7 is told


def test_the_installer_carries_the_packages_version_and_says_the_data_stays_on_uninstall():
    """setup.exe's properties showed 0.0.0.0, and its uninstall prompt said 完全删除 without a word on the data (#27)."""
    import tomllib

    script = (INSTALLER / "station.iss").read_text(encoding="utf-8-sig")
    version = tomllib.loads((INSTALLER.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert f'#define AppVersion "{version}"' in script and f"/DAppVersion={version} " in script
    assert "VersionInfoVersion={#AppVersion}" in script and "VersionInfoProductVersion={#AppVersion}" in script
    prompt = _messages(script)["ConfirmUninstall"]
    assert "不会删除" in prompt and r"C:\ProgramData\StationLedger" in prompt and "%1" in prompt
    assert r'Name: "{commonappdata}\StationLedger"; Permissions: users-modify; Flags: uninsneveruninstall' in script


def test_the_licence_page_the_start_menu_and_signing_only_with_a_certificate():
    """#27 installer polish: a licence page in Chinese (what the program and its bundled parts are licensed under,
    Qt's LGPL with its source), the 使用手册 and the notices in the Start menu, and code signing that is there only
    when a certificate is supplied (a build without one still compiles)."""
    script = (INSTALLER / "station.iss").read_text(encoding="utf-8-sig")
    licence_name = re.search(r"^LicenseFile=(.+)$", script, re.M).group(1).strip()
    raw = (INSTALLER / licence_name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Inno Setup 6 reads it as Unicode
    licence = raw.decode("utf-8-sig")
    assert "Apache License 2.0" in licence and "LGPL-3.0" in licence and "PySide6-6.11.3-src" in licence
    assert "不会删除" in licence and "第三方软件许可" in licence
    # the Start-menu entries open files the bundle carries (installer/station.spec copies resources/ into _internal)
    root = INSTALLER.parent
    for name, target in re.findall(r'^Name: "\{group\}\\([^"]+)"; Filename: "\{app\}\\_internal\\([^"]+)"', script, re.M):
        assert (root / target.replace("\\", "/")).is_file(), (name, target)
    assert {n for n, _t in re.findall(r'^Name: "\{group\}\\([^"]+)"; Filename: "\{app\}\\_internal\\([^"]+)"', script, re.M)} == {
        "使用手册", "第三方软件许可"}
    signing = re.search(r"^#ifdef SignTool\n(.*?)^#endif", script, re.M | re.S)
    assert signing and "SignTool={#SignTool}" in signing.group(1) and "SignedUninstaller=yes" in signing.group(1)
    assert len(re.findall(r"^SignTool=", script, re.M)) == 1  # nowhere outside the #ifdef
    readme = (INSTALLER / "README.md").read_text(encoding="utf-8")
    assert "/DSignTool=" in readme and "/VERYSILENT" in readme and "/TASKS=" in readme
