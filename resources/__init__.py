"""The data the product ships (fonts with their licences, icons, the 五有 rules, the national system's column
mapping). A package so that a wheel carries it beside ``app``, ``ui`` and ``sync``; code finds its files with
``resource_path`` (importlib.resources), in a checkout, an installed wheel and the PyInstaller bundle."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """A file or folder the product ships, found with ``importlib.resources`` wherever this package was
    installed (a checkout, a wheel, the PyInstaller bundle). Always on disk in those: reportlab and Qt
    open fonts by file name."""
    found = files(__name__).joinpath(*parts)
    return Path(str(found))
