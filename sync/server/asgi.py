"""The district service as an importable ASGI app, for ``station district serve --workers N``.

Each worker process imports this module and builds its own engine (connections are never shared
across processes) from the environment the serving command set: ``STATION_DISTRICT_DB`` (a
database URL), ``STATION_DISTRICT_FILES`` (a shared folder for photos; empty: photos are kept in the database)
and ``STATION_DISTRICT_JUDGE_EVERY`` (seconds between judging the running month's 五有 ahead; 0: never).
The database was already migrated once by the parent before the workers started.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.logs import setup_server_logging

from .app import create_app
from .db import ENV_DB, ENV_FILES, ENV_HTTPS, ENV_JUDGE, make_engine

setup_server_logging()
app = create_app(make_engine(os.environ[ENV_DB]), Path(os.environ[ENV_FILES]) if os.environ.get(ENV_FILES) else None,
                 behind_https=os.environ.get(ENV_HTTPS) == "1", judge_every_s=float(os.environ.get(ENV_JUDGE) or 0))
