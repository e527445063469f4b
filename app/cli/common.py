"""What every area's commands share: the CLI's actor, the store and context of the chosen data folder, dates, an
operator's login, and the way a subcommand is added."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date

from ..config import resolve_data_dir
from ..db import Store, demo_hint
from ..models.enums import Role
from ..services import operators
from ..services.context import Actor, Context
from ..services.errors import NotFound
from .util import run_reporting_errors


def adder(subparsers, common: argparse.ArgumentParser):
    """``add(name, handler, help, parent)``: a subcommand under ``parent`` (default: the top level) with the common
    options, whose errors are reported in Chinese (``run_reporting_errors``)."""

    def add(name: str, handler, help_text: str, parent=subparsers) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=run_reporting_errors(handler))
        return p

    return add


def commands_of(subparsers, common: argparse.ArgumentParser, name: str, help_text: str, dest: str, *,
                description: str = "", title: str = "子命令", metavar: str = "命令"):
    """A command with commands of its own (``station volunteer add``): the subparsers its ``add`` calls take."""
    parser = subparsers.add_parser(name, help=help_text, description=description or help_text, parents=[common])
    return parser.add_subparsers(dest=dest, title=title, metavar=metavar, required=True)


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no login name on some service accounts
        user = "?"
    return Actor(username=f"cli:{user}", display_name=f"命令行（{user}）", role=Role.admin)


def parse_cli_date(text: str) -> date:
    from ..services.common import FieldErrors, parse_date
    from ..services.errors import ValidationError

    errors = FieldErrors()
    value = parse_date(text, errors, "date", "日期")
    errors.raise_if_any()
    if value is None:
        raise ValidationError({"date": "请填写日期"})
    return value


def operator_login(store: Store, args: argparse.Namespace) -> Actor:
    """An operator of this station, by name and password (asked, or one line on standard input with
    ``--password-stdin``): what is signed as 经办人 names a person, never the shell's login (#26)."""
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else getpass.getpass(f"{args.operator} 的密码：")
    return operators.authenticate(store, args.operator, password)


def open_store(args: argparse.Namespace, *, create: bool = False) -> Store:
    """The store in the chosen data dir; only commands that make a station (init, demo, restore) create one."""
    return Store.open(resolve_data_dir(getattr(args, "data_dir", None)), create=create)


def open_context(args: argparse.Namespace) -> Context:
    store = open_store(args)
    ctx = Context(store=store, actor=cli_actor())
    if store.station_id is None:
        store.close()
        raise NotFound("尚未建立实践站，请先运行“station init”或在首次启动向导中创建。" + demo_hint(store.paths))
    return ctx
