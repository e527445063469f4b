"""Where the station's data lives.

Order of precedence: an explicit ``--data-dir``; the ``STATION_DATA_DIR``
environment variable; portable mode (a marker file beside the program keeps
data in ``data/`` beside it, for a USB stick); otherwise platformdirs'
default — on Windows the machine-wide ProgramData folder, because a village
PC is shared by several Windows accounts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "StationLedger"
ENV_DATA_DIR = "STATION_DATA_DIR"
PORTABLE_MARKER = "portable.txt"
DB_FILENAME = "station.db"


def program_dir() -> Path:
    """The folder holding the program (the bundle when frozen, else the source tree)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    marker = program_dir() / PORTABLE_MARKER
    if marker.exists():
        return program_dir() / "data"
    if sys.platform == "win32":
        return Path(platformdirs.site_data_dir(APP_NAME, appauthor=False))
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


class DataPaths:
    """Every file the app keeps, relative to one data dir."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    @property
    def db(self) -> Path:
        return self.root / DB_FILENAME

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def photos(self) -> Path:
        return self.root / "photos"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def demo(self) -> Path:
        """The demo station's own data dir: never the real station's folder."""
        return self.root / "demo"

    def ensure(self) -> "DataPaths":
        for folder in (self.root, self.backups, self.photos, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self
