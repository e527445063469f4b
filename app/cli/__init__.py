"""The ``station`` command: assembles the subcommands every installed layer registers.

Each layer (app: data, print, backup; sync: enroll, sync, district; ui: the
desktop) offers a ``register(subparsers, common)`` function under the
``station.commands`` entry-point group, and the desktop under ``station.gui``.
This module only discovers them by name, so the domain core never imports the
layers above it, and the district server starts without loading Qt.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from .. import __version__
from .util import install_chinese_argparse

COMMANDS_GROUP = "station.commands"
GUI_GROUP = "station.gui"


def build_parser() -> argparse.ArgumentParser:
    install_chinese_argparse()
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's own --data-dir must not reset one given before it.
    common.add_argument("--data-dir", metavar="目录", default=argparse.SUPPRESS, help="数据目录（默认：系统数据目录；也可用环境变量 STATION_DATA_DIR）")
    parser = argparse.ArgumentParser(
        prog="station",
        description="新时代文明实践站台账：志愿者、服务队、活动台账与同步。不带子命令时打开桌面程序。",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"station-ledger {__version__}", help="显示版本号并退出")
    subparsers = parser.add_subparsers(dest="command", title="子命令", metavar="命令")
    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        ep.load()(subparsers, common)
    return parser


def desktop_start(argv: list[str]) -> argparse.Namespace | None:
    """The arguments when ``argv`` only opens the desktop (nothing but ``--data-dir``), else None.

    Building every subcommand imports the data layer (SQLAlchemy and the models, most of a second on a
    village PC); the desktop shows its login window first and opens the store behind it (#13).
    """
    quick = argparse.ArgumentParser(prog="station", add_help=False, exit_on_error=False)
    quick.add_argument("--data-dir", default=argparse.SUPPRESS)
    try:
        args, rest = quick.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):  # a malformed --data-dir: the full parser explains it
        return None
    if rest:
        return None
    args.command = None
    return args


NO_DESKTOP = ("这台电脑上装的是区级服务器版本，没有桌面程序（缺少 Qt：PySide6）。\n"
              "区里的服务器请用 station district …（station district --help 查看命令）；"
              "要在这台电脑上记台账，请安装桌面版：pip install 'station-ledger[desktop]'。")


def _run_gui(entry, args) -> int:
    """The desktop app, or — where only the district server is installed (no Qt, #27) — a Chinese message."""
    try:
        run = entry.load()
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("PySide6"):
            raise
        print(NO_DESKTOP, file=sys.stderr)
        return 2
    return run(args) or 0


def _tolerant_output() -> None:
    """A Chinese Windows console or a file redirected there is GBK (cp936), which lacks characters such as 𠮷
    that a name may hold: printing one crashed the command (#27). GB18030 writes every character and writes
    GBK's as GBK does; any other encoding short of a character shows a "?" for it instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if not hasattr(stream, "reconfigure") or encoding in ("utf8", "utf8sig", "gb18030"):
            continue
        try:
            if encoding in ("gbk", "cp936", "gb2312", "936", "mscp936"):
                stream.reconfigure(encoding="gb18030")
            else:
                stream.reconfigure(errors="replace")
        except (ValueError, OSError):  # a stream already written in another way: leave it
            pass


def main(argv: list[str] | None = None) -> int:
    """``station``: Ctrl+C while the commands are being assembled (most of a second) or while one runs ends it
    with a word, not a traceback (#27)."""
    _tolerant_output()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("\n已取消。", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    gui = sorted(entry_points(group=GUI_GROUP), key=lambda e: e.name)
    if gui:
        args = desktop_start(argv)
        if args is not None:
            return _run_gui(gui[0], args)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        gui = sorted(entry_points(group=GUI_GROUP), key=lambda e: e.name)
        if gui:
            return _run_gui(gui[0], args)
        parser.print_help()
        return 0
    return args.handler(args) or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
