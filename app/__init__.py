"""Domain core of the station ledger: models, services, store, rules, reports.

This package never imports Qt, HTTP clients, ``ui`` or ``sync`` (tests/test_layers.py).
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("station-ledger")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
