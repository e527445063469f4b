"""The domain's own subcommands (the ``station.commands`` entry point ``core``), one module per area:

- ``station``: init, demo, info, operator, audit, backup, restore, check, selfcheck;
- ``people``: volunteer, team, certificate;
- ``ledger``: activity, points, demands, demand;
- ``printing``: print;
- ``exchange``: import, export.

``common`` holds what they share (the store and context of the chosen data folder, dates, an operator's login)."""

from __future__ import annotations

import argparse

from . import exchange, ledger, people, printing, station


def register(subparsers, common: argparse.ArgumentParser) -> None:
    for area in (station, people, ledger, printing, exchange):
        area.register(subparsers, common)
