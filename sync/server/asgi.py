"""The district service as an importable ASGI app, for ``station district serve --workers N``.

Each worker process imports this module and builds its own engine (connections are never shared
across processes) from the environment the serving command set: ``STATION_DISTRICT_DB`` (a
database URL), ``STATION_DISTRICT_FILES`` (a shared folder for photos; empty: photos are kept in the database),
``STATION_DISTRICT_JUDGE_EVERY`` (seconds between judging the running month's 五有 ahead; 0: never) and
``STATION_DISTRICT_PERSON_KEY_FILE`` (the district's key for linking one person across ledgers, sync/server/people.py).
The database was already migrated, and its volunteers linked, once by the parent before the workers started.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.logs import setup_server_logging

from . import people
from .app import create_app
from .db import ENV_DB, ENV_FILES, ENV_HTTPS, ENV_JUDGE, make_engine

setup_server_logging()
engine = make_engine(os.environ[ENV_DB])
if os.environ.get(people.ENV_KEY_FILE):  # the parent linked every row with it already
    people.use_key(engine, people.load_key(Path(os.environ[people.ENV_KEY_FILE]), create=False), link=False)
app = create_app(engine, Path(os.environ[ENV_FILES]) if os.environ.get(ENV_FILES) else None,
                 behind_https=os.environ.get(ENV_HTTPS) == "1", judge_every_s=float(os.environ.get(ENV_JUDGE) or 0))
