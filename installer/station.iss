; Inno Setup script: the Windows installer of 实践站台账.
; Build on a 64-bit Windows machine (PyInstaller cannot cross-build) — see README.md, "Windows 安装包":
;   1. py -3.11 -m venv .venv && .venv\Scripts\pip install -e .[desktop] pyinstaller
;   2. .venv\Scripts\pyinstaller --noconfirm installer\station.spec        (makes dist\station\)
;   3. "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.3.0 installer\station.iss
; Minimum: 64-bit Windows 10 1809 or later.

; The default is the version in pyproject.toml (tests/test_installer.py).
#ifndef AppVersion
  #define AppVersion "0.3.0"
#endif
#ifndef Compression
  ; make installer-check compiles with /DCompression=zip/1: it checks the installer's logic, not its size
  #define Compression "lzma2/max"
#endif

[Setup]
AppId={{6D3C2B7E-5A2F-4C1E-9E44-5B7C1F0A2D11}
AppName=实践站台账
AppVersion={#AppVersion}
; The file's properties (详细信息) show the version, not 0.0.0.0 (#27).
VersionInfoVersion={#AppVersion}
VersionInfoProductVersion={#AppVersion}
VersionInfoProductName=实践站台账
VersionInfoDescription=实践站台账 安装程序
AppPublisher=济南市钢城区新时代文明实践中心
DefaultDirName={autopf}\StationLedger
DefaultGroupName=实践站台账
; Per machine: one installation serves every Windows account of the shared village PC.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir=..\dist
OutputBaseFilename=StationLedger-{#AppVersion}-setup
SetupIconFile=..\resources\icons\station.ico
UninstallDisplayIcon={app}\station.exe
Compression={#Compression}
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=no
; The licence page: this program's licence and where the bundled programs' own licences are (Qt under LGPL).
LicenseFile=licence-zh.txt
; Code signing, only when a certificate is supplied (README.md, "签名"): ISCC /DSignTool=station "/Sstation=…"
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Languages]
; Our own translation of Inno Setup 6.4's messages (stock Inno Setup 6 has none for Simplified Chinese).
Name: "chinesesimplified"; MessagesFile: "ChineseSimplified.isl"

[Messages]
; Inno's own words say 完全删除…及其所有组件: a clerk reads that the ledger goes too. It does not (#27).
ConfirmUninstall=确定要从这台电脑上卸载 %1 程序吗？%n%n台账数据（数据库、照片、备份和日志）不会删除，仍保存在 C:\ProgramData\StationLedger。重新安装后可以继续使用；确实不再需要时，可手动删除该文件夹。

[Tasks]
Name: "desktopicon"; Description: "在桌面创建快捷方式"; GroupDescription: "快捷方式："

[Dirs]
; The data (database, photos, backups, logs) lives in ProgramData, shared by every account of the PC,
; and is never removed by uninstalling. Installing a newer version over an older one keeps it; the
; program backs it up and migrates it on its first start.
Name: "{commonappdata}\StationLedger"; Permissions: users-modify; Flags: uninsneveruninstall

[InstallDelete]
; An upgrade first removes the previous version's program files (a library left from 0.1.0 must not load
; into 0.2.0); the data in ProgramData is never touched.
Type: filesandordirs; Name: "{app}\_internal"
Type: files; Name: "{app}\station.exe"
Type: files; Name: "{app}\station-cli.exe"

[Files]
Source: "..\dist\station\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; Started in the Documents (文档) of whoever opens it — a folder the clerk can write to, not Program Files.
; Written with %USERPROFILE% (expanded by Windows when the shortcut is opened): {userdocs} would be the
; installing administrator's folder, for every account of the shared PC.
Name: "{group}\实践站台账"; Filename: "{app}\station.exe"; WorkingDir: "%USERPROFILE%\Documents"
Name: "{group}\实践站台账自检（命令行）"; Filename: "{cmd}"; Parameters: "/k ""{app}\station-cli.exe"" selftest"; WorkingDir: "%USERPROFILE%\Documents"
Name: "{group}\使用手册"; Filename: "{app}\_internal\resources\manual\manual.pdf"; Comment: "实践站台账使用手册（PDF）"
Name: "{group}\第三方软件许可"; Filename: "{app}\_internal\resources\THIRD-PARTY-NOTICES.txt"
Name: "{group}\卸载实践站台账"; Filename: "{uninstallexe}"
Name: "{autodesktop}\实践站台账"; Filename: "{app}\station.exe"; WorkingDir: "%USERPROFILE%\Documents"; Tasks: desktopicon

[Run]
; 手机签到 listens on the station's own network: phones on a *private* network (the station's Wi-Fi) may reach
; the program; public networks stay closed. Removed first so an upgrade does not add the rule twice.
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""StationLedger Signin"""; Flags: runhidden; StatusMsg: "正在设置防火墙（手机签到）……"
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall add rule name=""StationLedger Signin"" dir=in action=allow program=""{app}\station.exe"" protocol=TCP profile=private enable=yes"; Flags: runhidden
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall add rule name=""StationLedger Signin"" dir=in action=allow program=""{app}\station-cli.exe"" protocol=TCP profile=private enable=yes"; Flags: runhidden
Filename: "{app}\station.exe"; Description: "立即打开实践站台账"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""StationLedger Signin"""; Flags: runhidden; RunOnceId: "DelSigninRule"

[UninstallDelete]
; Only what the program itself left beside its files; the data in ProgramData stays.
Type: filesandordirs; Name: "{app}\__pycache__"
