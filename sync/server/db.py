"""The district's database: the stations' rows in the same tables as the app, plus its own.

The app's synced tables are copied onto this module's ``metadata`` (the app's
local-only tables — outbox, operators, sync state — stay out), and the
district's own tables are plain SQLAlchemy Core. SQLite by default,
PostgreSQL in production; Alembic migrations of their own.
"""

from __future__ import annotations

from pathlib import Path

from collections.abc import Iterable, Iterator

from sqlalchemy import (
    JSON, Boolean, Column, ColumnElement, Date, Engine, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
    Table, Text, any_, bindparam, create_engine, event, false, inspect, text,
)
from sqlalchemy.dialects.postgresql import ARRAY

import app.models  # noqa: F401  (registers the synced tables)
from app.models import SYNCED_MODELS
from app.models.base import UTCDateTime

HEAD_REVISION = "d0015"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# What ``station district serve`` hands its worker processes (sync/server/asgi.py).
ENV_DB = "STATION_DISTRICT_DB"
ENV_FILES = "STATION_DISTRICT_FILES"
ENV_HTTPS = "STATION_DISTRICT_BEHIND_HTTPS"
ENV_JUDGE = "STATION_DISTRICT_JUDGE_EVERY"

metadata = MetaData()
for _model in SYNCED_MODELS:
    _copy = _model.__table__.to_metadata(metadata)
    _station_only = {ix.name for ix in _model.__table__.indexes if ix.info.get("station_only")}  # (the copy loses info)
    for _index in [ix for ix in _copy.indexes if ix.name in _station_only]:
        _copy.indexes.discard(_index)  # the station's own reading aids (app/models/base.py STATION_ONLY)

account = Table(
    "station_account", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("street", String(100), nullable=False, default=""),
    Column("station_id", String(36), unique=True),  # the station's own id, bound at enrollment
    Column("enroll_code_hash", String(64)),  # cleared once used
    Column("token_hash", String(64), unique=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("enrolled_at", UTCDateTime),
    Column("last_sync_at", UTCDateTime),
    Column("rows_received", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("client_version", String(40), nullable=False, default=""),
    Column("kind", String(16), nullable=False, default="", server_default=""),  # village | community, from the bulk sheet
    Column("population", Integer),  # 常住人口 from the bulk sheet (the station's own row has the figure it keeps)
    Column("volunteers", Integer, nullable=False, default=0, server_default="0"),  # live volunteers, kept by stats.py
    # station | institute | center (StationLevel): a 所 and the 中心 enroll and sync like a station (#30)
    Column("level", String(16), nullable=False, default="station", server_default="station"),
)

batch_log = Table(
    "batch_log", metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("station_account.id"), nullable=False, index=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("response", JSON, nullable=False),  # replayed as is for a repeated batch id
    Column("content_sha256", String(64)),  # of the rows: the same id with other rows is refused (409)
)

rejection = Table(
    "rejection", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("station_account.id"), nullable=False, index=True),
    Column("batch_id", String(36), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

stored_file = Table(
    "stored_file", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("account_id", Integer, ForeignKey("station_account.id"), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # The photo itself, in the database every server process shares (bytea on PostgreSQL); NULL when the
    # district keeps photos in a shared folder instead (--files-dir) or received it before d0006.
    Column("data", LargeBinary, nullable=True),
)

announcement = Table(
    "announcement", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the pull cursor
    Column("id", String(36), nullable=False, unique=True),
    Column("kind", String(20), nullable=False, default="announcement", server_default="announcement"),  # announcement | rules | dispatch
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False, default=""),  # for rules: the TOML text; for a dispatch: the demand as JSON
    Column("published_at", UTCDateTime, nullable=False),
    # dispatch: the station it is for (its own id); empty for what every station receives
    Column("station_id", String(36), index=True),
)

staff = Table(
    "staff", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(50), nullable=False, unique=True),
    Column("display_name", String(50), nullable=False),
    Column("password_hash", String(300), nullable=False),
    # district | street (#30): a 街道 account sees and acts only on the 所 and stations of ``street``
    Column("scope", String(16), nullable=False, default="district", server_default="district"),
    Column("street", String(100), nullable=False, default="", server_default=""),
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
)

staff_session = Table(
    "staff_session", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),  # 12 h after login (web.SESSION_HOURS)
    Column("last_seen", UTCDateTime, nullable=True),  # the last page asked for: idle past web.IDLE_MINUTES ends it
)

# Failed staff logins and enrollment attempts, per user name and per address (sync/server/throttle.py):
# in the database, so every server process counts the same tries.
attempt = Table(
    "attempt", metadata,
    Column("kind", String(16), primary_key=True),  # login-user / login-addr / enroll-addr
    Column("key", String(100), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("first_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
)

TABLES = {m.__tablename__: metadata.tables[m.__tablename__] for m in SYNCED_MODELS}


package_import = Table(
    "package_import", metadata,  # a USB package applied here, and the reply to carry back (downloadable again)
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("station_account.id"), nullable=False, index=True),
    Column("package_id", String(36), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("imported_by", String(100), nullable=False),  # a staff user, or 命令行
    Column("rows", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("reply_name", String(200), nullable=False),
    Column("reply", LargeBinary, nullable=False),
)


evaluation_cache = Table(
    "evaluation_cache", metadata,  # a station's 五有 verdicts for a month, kept until it syncs or the rules change
    Column("station_id", String(36), primary_key=True),
    Column("period", String(7), primary_key=True),  # 2026-11
    Column("rules_key", String(64), nullable=False),  # SHA-256 of the rules judged by
    Column("computed_at", UTCDateTime, nullable=False),
    Column("computed_on", Date, nullable=False),  # "today" when judged: a running month's verdicts depend on it
    Column("verdicts", JSON, nullable=False),
    Column("met", Integer, nullable=False),  # the ranking's figures, read without the verdicts
    Column("counted", Integer, nullable=False),
    Column("at_risk", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    Column("problems", JSON, nullable=False),
)


# Per-station figures for the staff pages, kept up to date as each batch is applied (sync/server/stats.py):
# the overview of thousands of stations reads them instead of counting every station's rows on every view.
station_month = Table(
    "station_month", metadata,
    Column("station_id", String(36), primary_key=True),
    Column("period", String(7), primary_key=True),  # 2026-11
    Column("activities", Integer, nullable=False),  # activities held (status done, not in the bin) that month
    Column("hours", Float, nullable=False),  # their participants' service hours
)

team_month = Table(
    "team_month", metadata,
    Column("station_id", String(36), primary_key=True),
    Column("team_id", String(36), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("activities", Integer, nullable=False),
)

# 志愿服务记录证明 (#26): each station's signing keys (registered by its authenticated sync; a restored or
# replaced PC may bring a new one, the old ones still verify what they signed) and the certificates it issued,
# with their 作废, so anyone can check a paper at /verify/<number>.
station_key = Table(
    "station_key", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("station_account.id"), nullable=False, index=True),
    Column("public_key", String(100), nullable=False),
    Column("first_seen", UTCDateTime(), nullable=False),
)

certificate = Table(
    "certificate", metadata,
    Column("number", String(40), primary_key=True),  # ZM-<station code>-<year>-<sequence>
    Column("account_id", Integer, ForeignKey("station_account.id"), nullable=False, index=True),
    Column("masked_name", String(50), nullable=False),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("hours", Float, nullable=False),
    Column("activities", Integer, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("signature", String(100), nullable=False),
    Column("revoked_on", Date),
    Column("revoke_reason", String(200), nullable=False, default=""),
    Column("received_at", UTCDateTime(), nullable=False),
)


# The district's evaluation of each 街道 (#30, 六.4–六.5; sync/server/streets.py): the weights it scores by,
# published like the rules (a newer version only), and the scores no station can send — 观摩打分, 媒体报道, 特色项目 —
# entered by its evaluators. A score is never changed: a correction is a new row, the earlier one stays as the
# audit trail.
street_weights = Table(
    "street_weights", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),  # the TOML text
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(100), nullable=False),
)

street_score = Table(
    "street_score", metadata,
    Column("id", Integer, primary_key=True),
    Column("street", String(100), nullable=False),
    Column("item", String(40), nullable=False),  # an entered item's id in the weights file
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),  # the month of the visit, the report or the project
    Column("score", Float, nullable=False),
    Column("note", String(200), nullable=False, default=""),
    Column("entered_by", String(100), nullable=False),  # the staff member's name and user name
    Column("entered_at", UTCDateTime, nullable=False),
    Column("weights_version", Integer, nullable=False),
    Index("ix_street_score_period", "year", "month"),
)


# One person across ledgers (#30): every volunteer row linked by a keyed hash of its document (sync/server/people.py),
# never by the number in clear. The key is the district's own secret, kept outside the database (person-link.key in
# the district folder); ``person_link_state`` holds only a check value of it, so a server started with another key
# (a lost file, a new one) recomputes every link from the rows instead of mixing two keys.
person_link = Table(
    "person_link", metadata,
    Column("volunteer_id", String(36), primary_key=True),
    Column("station_id", String(36), nullable=False, index=True),
    Column("person_key", String(64), nullable=False),  # HMAC-SHA256 of the document type and number
    Column("deleted", Boolean, nullable=False, default=False, server_default=false()),  # the volunteer row's
    # By person, with the ledger and the bin: who is registered in more than one ledger is read from the index alone.
    Index("ix_person_link_person_key", "person_key", "station_id", "deleted"),
)

person_link_state = Table(
    "person_link_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("key_check", String(64), nullable=False),  # HMAC of a fixed text under the key the links were made with
    Column("linked_at", UTCDateTime, nullable=False),
)


def among_ids(conn, column, values: Iterable[str], chunk: int = 500) -> Iterator[ColumnElement[bool]]:
    """``column IN values`` in as few queries as the database allows: on PostgreSQL one ``= ANY(array)``, a single
    parameter however many values (a batch's look-ups in IN lists of 500 bound values each were a fifth of the
    server's time on PostgreSQL, #29); on SQLite chunks of ``chunk`` bound values. Nothing for no values."""
    values = list(values)
    if not values:
        return
    if conn.dialect.name == "postgresql":
        yield column == any_(bindparam(None, values, type_=ARRAY(String)))
        return
    for start in range(0, len(values), chunk):
        yield column.in_(values[start:start + chunk])


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def migrate(engine: Engine) -> None:
    """Create and stamp a fresh DB; upgrade an older one."""
    from alembic import command

    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if "alembic_version" in names else None
    if current == HEAD_REVISION:
        return
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if current is None and not names:
            metadata.create_all(conn)
            command.stamp(cfg, "head")
        else:
            command.upgrade(cfg, "head")


def district_behind(conn, cursor: str) -> bool:
    """The district was put back to an older backup after the station pulled up to ``cursor`` (one this district
    issued): the item at its seq is gone or another, or its seq is past every item here. The rows the station sent
    since that backup are gone here although acknowledged there; the pull starts over and the station sends
    everything again (docs/deploy.md, "Backups"; tests/test_district_restore.py)."""
    from sqlalchemy import func, select

    from ..protocol import cursor_seq

    seq, tag = cursor_seq(cursor)
    if seq <= 0:
        return False
    held = conn.execute(select(announcement.c.id).where(announcement.c.seq == seq)).scalar()
    if held is None:
        return seq > (conn.execute(select(func.max(announcement.c.seq))).scalar() or 0)
    return tag is not None and held[:8] != tag


def pull_page(conn, station_id: str | None, after: int, limit: int | None = None) -> tuple[list[dict], str | None]:
    """District-owned items published after the seq ``after`` for one station (everyone's and its own), with the
    cursor to ask from next (None: no item, the cursor stays). The network pull and a USB reply file both use it."""
    from sqlalchemy import or_, select

    from .. import protocol

    mine = or_(announcement.c.station_id.is_(None), announcement.c.station_id == station_id)
    rows = conn.execute(select(announcement).where(announcement.c.seq > after, mine)
                        .order_by(announcement.c.seq).limit(limit or protocol.PULL_PAGE)).all()
    items = [{"entity": r.kind, "id": r.id, "title": r.title, "body": r.body, "published_at": r.published_at.isoformat(),
              "seq": r.seq} for r in rows]
    return items, (protocol.cursor_for(rows[-1].seq, rows[-1].id) if rows else None)
