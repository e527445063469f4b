"""A rotating log in the data dir; every handler masks ID numbers and phones."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from .privacy import RedactingFilter, RedactingFormatter

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_dir: Path, *, level: int = logging.INFO) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "station.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_station", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler._station = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return path


def setup_server_logging(*, level: int = logging.INFO) -> None:
    """The district server's log on stderr (a service manager keeps it), uvicorn's access log included,
    every line masked like the app's: tracebacks of a 500 carry the rows that caused them. Called again (``station
    district serve`` sets it up, then uvicorn imports sync.server.asgi, which sets it up for a worker process) it
    replaces its handler: two would write every line twice."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_station_server", False)]:
        root.removeHandler(old)
        old.close()
    handler = logging.StreamHandler()
    handler._station_server = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
