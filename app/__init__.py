"""Domain core of the station ledger: models, services, store, rules, reports.

This package never imports Qt, HTTP clients, ``ui`` or ``sync`` (tests/test_layers.py).
"""


def __getattr__(name: str):
    # ``__version__`` is read from the installed package's metadata only when asked: importlib.metadata
    # costs 20 ms, which the desktop app's first window (the login) should not wait for.
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("station-ledger")
        except metadata.PackageNotFoundError:  # running from a source tree that is not installed
            version = "0.0.0"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module 'app' has no attribute {name!r}")
