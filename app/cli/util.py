"""Command-line helpers: Chinese argparse messages, CJK-aware tables, error reporting."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable, Sequence

ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
    "expected one argument": "需要一个值",
    "expected at least one argument": "至少需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "必须提供以下参数之一：%s",
    "ignored explicit argument %r": "忽略了多余的值 %r",
}


def _zh(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


def install_chinese_argparse() -> None:
    # argparse looks its ``_`` up at call time, so replacing it translates
    # usage, help headings and error messages.
    argparse._ = _zh  # type: ignore[attr-defined]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, out=None) -> None:
    out = out or sys.stdout
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def run_reporting_errors(handler: Callable[[argparse.Namespace], int | None]) -> Callable[[argparse.Namespace], int]:
    """Every failure becomes a Chinese message on stderr and exit code 1, never a traceback: service and
    store errors as they are, known system failures (read-only, disk full, busy store, a folder for a file,
    a closed pipe) said with what to do, and a bug as 意外错误 with its details in the (masked) log."""
    from ..db import StoreError
    from ..known_errors import describe
    from ..services.errors import ServiceError, ValidationError

    def wrapped(args: argparse.Namespace) -> int:
        log_file = _log_for(args)
        try:
            return handler(args) or 0
        except ValidationError as exc:
            for message in exc.errors.values():
                print(f"错误：{message}", file=sys.stderr)
            return 1
        except (ServiceError, StoreError) as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("已取消", file=sys.stderr)
            return 130
        except Exception as exc:  # the last line between a person and a traceback
            known = describe(exc)
            if isinstance(exc, BrokenPipeError):
                _quiet_stdout()
            import logging

            logging.getLogger("station.cli").error("command %s failed", getattr(args, "command", "?"), exc_info=exc)
            if known:
                print(f"错误：{known}", file=sys.stderr)
            else:
                where = f"，详细信息已写入日志 {log_file}" if log_file else ""
                print(f"错误：程序遇到意外错误（{type(exc).__name__}）{where}。请把日志发给技术人员。", file=sys.stderr)
            return 1

    return wrapped


def _log_for(args: argparse.Namespace):
    """The CLI logs like the app, into the data dir's logs/ — only if the data dir exists (a read-only
    command must not create it)."""
    from ..config import resolve_data_dir
    from ..logs import setup_logging

    try:
        own = getattr(args, "log_folder", None)  # a layer's own folder: the district's, not a desktop's (#27)
        if callable(own):
            return setup_logging(own(args))
        root = resolve_data_dir(getattr(args, "data_dir", None))
        if not root.is_dir():
            return None
        return setup_logging(root / "logs")
    except OSError:
        return None


def _quiet_stdout() -> None:
    """After a closed pipe, Python would complain again when flushing stdout at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
