"""Passwords on the command line: never in the arguments (they would stay in the shell's history and in ``ps``),
asked twice without echo at a terminal, or read as one line of standard input with ``--password-stdin`` (scripts).
Used by the district's staff commands and the station's ``operator reset-password``."""

from __future__ import annotations

import argparse
import sys


def read_password(args) -> str | None:
    """A staff password, never from the command line (it would stay in the shell's history and in ``ps``): asked
    twice without echo, or one line of standard input with --password-stdin (scripts). None, said why, if not."""
    import getpass

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("错误：标准输入中没有读到密码（--password-stdin 读取第一行）", file=sys.stderr)
            return None
        return password
    if not sys.stdin.isatty():
        print("错误：请在终端中运行以输入密码，或加 --password-stdin 从标准输入读取密码", file=sys.stderr)
        return None
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次密码：") != first:
        print("错误：两次输入的密码不一致，没有保存", file=sys.stderr)
        return None
    return first


class RefusePassword(argparse.Action):
    """``--password 密码`` of older instructions: refused by name (not taken as --password-stdin's abbreviation), the
    value not repeated."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error("密码不能写在命令行上（会留在命令历史和进程列表中）：请不加 --password，在提示时输入两次；"
                     "脚本中用 --password-stdin 从标准输入读取")


def password_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--password-stdin", action="store_true", help=f"从标准输入读取{what}（第一行），供脚本使用；不加时在终端中输入两次")
    p.add_argument("--password", action=RefusePassword, nargs="?", help=argparse.SUPPRESS)
