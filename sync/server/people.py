"""One person across ledgers (#30): a volunteer who serves in two villages, or in a village and at the 所, is one
person at the district.

Every ledger keeps its own volunteer rows (谁记录谁证明: the hours a ledger recorded stay there, and its 志愿服务记录证明
certifies only those). The district links the rows of one person by a keyed hash of the document — HMAC-SHA256 under
the district's own secret, over the document type and the normalised number (full-width digits, spaces and a lowercase
x as ``app.services.idcard.normalize`` has them, a 15-digit resident number as its 18-digit form) — kept per volunteer
row in ``person_link``. The number itself is never stored there, never put in an address, never logged: a page or a
sheet that names a person names the key, and the search by ID number hashes what staff typed and looks the key up.

The secret lives outside the database, in ``person-link.key`` of the district folder (or the file
``STATION_DISTRICT_PERSON_KEY_FILE`` names), made by the first command that links (serve, migrate, import-package,
demo). A copy of the database or of an export alone cannot be turned back into ID numbers by trying every possible
number (an 18-digit ID has only about 10¹¹ plausible values: an unkeyed hash would give them away). The database keeps a
check value of the key it was linked with: a process with another key (a second machine without the file, a lost file)
is refused instead of mixing two keys, until ``station district relink-people`` links every row again under the key at
hand — the links are always recomputable from the rows, so nothing is lost.

A 迁移 (a volunteer who moves) needs nothing more: the new ledger registers the person, the old one keeps them and
what it recorded, and the link makes one person of the two with one total. Each ledger hears, on its pull, which of
its own volunteers are registered elsewhere — how many other ledgers and their hours there, nothing else
(``refresh_note``, a ``person_links`` item).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
import weakref
from typing import Any
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, case, delete, func, select, text

from app.models.base import utcnow
from app.models.enums import RESIDENT_ID, station_level
from app.privacy import mask_id_number
from app.services.errors import ServiceError
from app.services.idcard import normalize, upgrade_15
from app.signing import mask_name

from .db import TABLES, account, announcement, person_link, person_link_state

log = logging.getLogger(__name__)

KEY_FILE = "person-link.key"
ENV_KEY_FILE = "STATION_DISTRICT_PERSON_KEY_FILE"
ITEM = "person_links"  # the pull item: this ledger's volunteers registered in other ledgers too
_CHECK_TEXT = b"station-ledger person link key check"
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"station-ledger:person-relink").digest()[:8], "big", signed=True)
_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> the district's key, for this process
_warned: weakref.WeakSet = weakref.WeakSet()
PAGE = 5000  # volunteer rows linked per query when (re)linking


class PersonKeyError(ServiceError):
    """The key file cannot be used (Chinese message naming the file and what to do)."""


# -- the key ------------------------------------------------------------------------------------------------------

def key_path(district_dir: Path) -> Path:
    """Where the key is: ``STATION_DISTRICT_PERSON_KEY_FILE`` if set (every server process must read the same file),
    else ``person-link.key`` in the district folder."""
    named = os.environ.get(ENV_KEY_FILE)
    return Path(named) if named else Path(district_dir) / KEY_FILE


def load_key(path: Path, *, create: bool = True) -> bytes:
    """The district's key from ``path`` (64 hex digits); made, readable by its owner only, when there is none."""
    path = Path(path)
    try:
        content = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise PersonKeyError(f"找不到人员关联密钥文件 {path}") from None
        _write_new_key(path)
        return load_key(path, create=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonKeyError(f"无法读取人员关联密钥文件 {path}：{exc}") from None
    try:
        key = bytes.fromhex(content)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise PersonKeyError(f"人员关联密钥文件 {path} 已损坏（应为一行十六进制字符）。请从备份中恢复该文件；"
                             "确实遗失时删除它，再运行 station district relink-people 用新密钥重新关联（数据不会丢失）")
    return key


def _write_new_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_bytes(32).hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(partial, path)  # never replaces a key another process wrote first
    except FileExistsError:
        pass
    except OSError:
        if not path.exists():
            os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    log.info("made a new person link key in %s", path)


def stored_check(engine: Engine) -> str | None:
    """The check value of the key the district's links were made with; None before any was."""
    with engine.connect() as conn:
        return conn.execute(select(person_link_state.c.key_check).where(person_link_state.c.id == 1)).scalar()


OTHER_KEY = ("区里已用另一个人员关联密钥关联了各台账的志愿者（{where}）。请使用原来的密钥文件（各服务进程须读同一个文件，"
             "可用环境变量 STATION_DISTRICT_PERSON_KEY_FILE 指定）；原密钥确已遗失时运行 station district relink-people，"
             "用新密钥重新关联（数据不会丢失）")


def use_key(engine: Engine, key: bytes, *, link: bool = True, relink: bool = False) -> int:
    """This process links volunteers under ``key`` on ``engine``; returns how many rows it linked now.

    ``link``: bring the links up to date now — every row when none was made yet, else the rows without one. A key other
    than the one the links were made with is refused (PersonKeyError), unless ``relink``: then every row is linked again
    under it. Without ``link`` (a server worker: its parent linked) the key is only checked."""
    stored = stored_check(engine)
    if stored is not None and stored != key_check(key) and not relink:
        raise PersonKeyError(OTHER_KEY.format(where="本进程的密钥与之不同"))
    _KEYS[engine] = bytes(key)
    return ensure_links(engine) if link or relink else 0


def attach(engine: Engine, path: Path, *, relink: bool = False) -> int:
    """The key in ``path`` for this process (see ``use_key``). The file is made when there is none and the district has
    no links yet (its first start), or when asked to ``relink``; a missing file is refused otherwise — a new key would
    split every person in two."""
    path = Path(path)
    stored = stored_check(engine)
    if stored is not None and not relink:
        if not path.exists():
            raise PersonKeyError(OTHER_KEY.format(where=f"本机找不到密钥文件 {path}"))
        if stored != key_check(load_key(path, create=False)):
            raise PersonKeyError(OTHER_KEY.format(where=f"{path} 中的密钥与之不同"))
    return use_key(engine, load_key(path), relink=relink)


def key_of(engine: Engine) -> bytes | None:
    return _KEYS.get(engine)


def key_check(key: bytes) -> str:
    return hmac.new(key, _CHECK_TEXT, hashlib.sha256).hexdigest()


def document(id_type: str, id_number: str) -> str | None:
    """What the key is made of: the document type and its number as the app normalises it; None for no number."""
    number = normalize(id_number or "")
    if not number:
        return None
    kind = (id_type or "").strip() or RESIDENT_ID
    if kind == RESIDENT_ID and len(number) == 15 and number.isdigit():
        number = upgrade_15(number)  # the same person written the old way
    return f"{kind}|{number}"


def person_key(key: bytes, id_type: str, id_number: str) -> str | None:
    found = document(id_type, id_number)
    return None if found is None else hmac.new(key, found.encode("utf-8"), hashlib.sha256).hexdigest()


def is_key(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


# -- linking ------------------------------------------------------------------------------------------------------

def link_volunteers(conn: Connection, station_id: str, written: dict[str, tuple[str, str, bool]]) -> None:
    """After a batch wrote volunteer rows (id → (证件类型, 证件号码, in the 回收站)): their links, in the same transaction."""
    if not written:
        return
    key = key_of(conn.engine)
    if key is None:
        if conn.engine not in _warned:
            _warned.add(conn.engine)
            log.warning("no person link key on this server process: volunteers are linked when a `station district` "
                        "command next starts")
        return
    ids = list(written)
    for start in range(0, len(ids), 500):
        conn.execute(delete(person_link).where(person_link.c.volunteer_id.in_(ids[start:start + 500])))
    rows = [{"volunteer_id": vid, "station_id": station_id, "person_key": k, "deleted": deleted}
            for vid, (id_type, number, deleted) in written.items()
            if (k := person_key(key, id_type, number)) is not None]
    if rows:
        conn.execute(person_link.insert(), rows)


def ensure_links(engine: Engine) -> int:
    """Every volunteer row linked under this process's key: all of them again when the links were made under another
    key (or none was recorded), else those without a link (rows applied by a process that had no key). One process
    at a time (an advisory lock on PostgreSQL); returns how many rows were linked."""
    key = key_of(engine)
    if key is None:
        return 0
    check, volunteer = key_check(key), TABLES["volunteer"]
    linked = 0
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        stored = conn.execute(select(person_link_state.c.key_check).where(person_link_state.c.id == 1)).scalar()
        everything = stored != check
        if everything:
            conn.execute(delete(person_link))
            if stored is None:
                conn.execute(person_link_state.insert().values(id=1, key_check=check, linked_at=utcnow()))
            else:
                conn.execute(person_link_state.update().where(person_link_state.c.id == 1)
                             .values(key_check=check, linked_at=utcnow()))
        after = ""
        while True:
            query = (select(volunteer.c.id, volunteer.c.station_id, volunteer.c.id_type, volunteer.c.id_number,
                            volunteer.c.deleted)
                     .where(volunteer.c.id > after).order_by(volunteer.c.id).limit(PAGE))
            if not everything:
                query = (query.outerjoin(person_link, person_link.c.volunteer_id == volunteer.c.id)
                         .where(person_link.c.volunteer_id.is_(None)))
            rows = conn.execute(query).all()
            if not rows:
                break
            links = [{"volunteer_id": r.id, "station_id": r.station_id, "person_key": k, "deleted": r.deleted}
                     for r in rows if (k := person_key(key, r.id_type, r.id_number)) is not None]
            if links:
                conn.execute(person_link.insert(), links)
                linked += len(links)
            after = rows[-1].id
        if linked > 1000 and conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE person_link"))  # the planner's figures at once, not at autovacuum's next pass
    if linked:
        log.info("linked %d volunteer rows%s", linked, " (all of them, under a new key)" if everything else "")
    return linked


# -- reading ------------------------------------------------------------------------------------------------------

def _chunks(values, size: int = 500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def hours_of(conn: Connection, volunteer_ids) -> dict[str, tuple[float, int]]:
    """Service hours and activities per volunteer row, counted as every ledger counts them (三.4): live participations in
    live activities that are done."""
    participation, activity = TABLES["participation"], TABLES["activity"]
    out: dict[str, tuple[float, int]] = {}
    for chunk in _chunks(set(volunteer_ids)):
        for vid, hours, count in conn.execute(
                select(participation.c.volunteer_id, func.coalesce(func.sum(participation.c.hours), 0.0), func.count())
                .join(activity, activity.c.id == participation.c.activity_id)
                .where(participation.c.volunteer_id.in_(chunk), participation.c.deleted == False,
                       activity.c.deleted == False, activity.c.status == "done")
                .group_by(participation.c.volunteer_id)):
            out[vid] = (round(float(hours or 0), 2), int(count))
    return out


def accounts_of(conn: Connection, station_ids) -> dict[str, Any]:
    """The account of each ledger (its newest, if it was re-enrolled under another)."""
    out: dict[str, Any] = {}
    for chunk in _chunks(set(station_ids)):
        for acct in conn.execute(select(account).where(account.c.station_id.in_(chunk)).order_by(account.c.id)):
            out[acct.station_id] = acct
    return out


@dataclass(frozen=True)
class Record:
    """One ledger's registration of the person, as a staff page shows it (name and number masked)."""

    volunteer_id: str
    station_id: str
    account_id: int | None
    ledger: str
    level: str
    street: str
    number: str
    masked_name: str
    masked_id: str
    registered_on: date
    hours: float
    activities: int


@dataclass
class Person:
    """A person as one staff account may see them: the records of the ledgers in its scope, and of the others only how
    many there are and their hours (no name of another street's ledger, #30)."""

    key: str
    records: list[Record]
    hidden_ledgers: int = 0
    hidden_hours: float = 0.0

    @property
    def masked_name(self) -> str:
        return self.records[0].masked_name

    @property
    def masked_id(self) -> str:
        return self.records[0].masked_id

    @property
    def ledgers(self) -> int:
        return len({r.station_id for r in self.records}) + self.hidden_ledgers

    @property
    def hours_in_scope(self) -> float:
        return round(sum(r.hours for r in self.records), 2)

    @property
    def total_hours(self) -> float:
        return round(self.hours_in_scope + self.hidden_hours, 2)


def _in_scope(acct, street: str) -> bool:
    return not street or (acct is not None and acct.street == street)


def _people(conn: Connection, keys: list[str], street: str) -> list[Person]:
    """The persons of ``keys`` with at least one live record in ``street`` (every street for ""), in the order given."""
    volunteer = TABLES["volunteer"]
    rows: list[Any] = []
    for chunk in _chunks(keys):
        rows += conn.execute(
            select(person_link.c.person_key, volunteer.c.id, volunteer.c.station_id, volunteer.c.number,
                   volunteer.c.name, volunteer.c.id_number, volunteer.c.registered_on)
            .join(volunteer, volunteer.c.id == person_link.c.volunteer_id)
            .where(person_link.c.person_key.in_(chunk), volunteer.c.deleted == False)).all()
    accounts = accounts_of(conn, {r.station_id for r in rows})
    hours = hours_of(conn, [r.id for r in rows])
    found: dict[str, Person] = {}
    for r in sorted(rows, key=lambda r: (r.registered_on, r.number)):
        person = found.setdefault(r.person_key, Person(r.person_key, []))
        acct = accounts.get(r.station_id)
        spent, count = hours.get(r.id, (0.0, 0))
        if _in_scope(acct, street):
            if acct is not None:
                ledger = (acct.id, acct.name, acct.level or "station", acct.street)
            else:
                ledger = (None, "（未知台账）", "station", "")
            person.records.append(Record(r.id, r.station_id, *ledger, r.number, mask_name(r.name),
                                         mask_id_number(r.id_number), r.registered_on, spent, count))
        else:
            person.hidden_ledgers += 1
            person.hidden_hours = round(person.hidden_hours + spent, 2)
    return [found[k] for k in keys if k in found and found[k].records]


def person(conn: Connection, key: str, street: str = "") -> Person | None:
    """The person of ``key`` as a staff account of ``street`` ("" for the district's) may see them; None when no ledger
    of its scope registers them (an unknown key and another street's person alike)."""
    if not is_key(key):
        return None
    found = _people(conn, [key], street)
    return found[0] if found else None


def find(conn: Connection, id_type: str, id_number: str, street: str = "") -> str | None:
    """The key of the person holding this document, if a ledger in scope registers them: the number typed is hashed,
    never compared in clear with the ID columns."""
    key = key_of(conn.engine)
    wanted = person_key(key, id_type, id_number) if key is not None else None
    if wanted is None:
        return None
    return wanted if person(conn, wanted, street) is not None else None


def _shared_keys(street: str):
    """(person_key, ledgers) of everyone registered (live) in more than one ledger, with one in ``street`` (any for "").
    Read from person_link's index alone; counted by rows, not distinct ledgers (collated text compares cost a third of
    the page): a ledger holds one live registration per person, its own check refuses a second."""
    query = (select(person_link.c.person_key, func.count().label("ledgers"))
             .where(person_link.c.deleted == False)
             .group_by(person_link.c.person_key).having(func.count() > 1))
    if street:
        ours = select(account.c.station_id).where(account.c.station_id.is_not(None), account.c.street == street)
        query = query.having(func.max(case((person_link.c.station_id.in_(ours), 1), else_=0)) == 1)
    return query


def shared_page(conn: Connection, street: str = "", *, page: int = 1, size: int = 50) -> tuple[int, list[Person]]:
    """How many people are registered in more than one ledger (with one in ``street``), and one page of them, those in
    the most ledgers first: only the page's people are read in full, however many there are."""
    # One short row per such person (1,500 of them for 3,000 stations in bench/district_pages_bench.py): sorted here.
    keys = sorted(conn.execute(_shared_keys(street)).all(), key=lambda r: (-r.ledgers, r.person_key))
    first = (min(page, max(1, -(-len(keys) // size))) - 1) * size
    return len(keys), _people(conn, [r.person_key for r in keys[first:first + size]], street)


def shared(conn: Connection, street: str = "") -> list[Person]:
    """Everyone registered (live) in more than one ledger, with a record in ``street`` ("" for the whole district),
    most hours first (the sheet: all of them)."""
    people = _people(conn, list(conn.execute(_shared_keys(street)).scalars()), street)
    people.sort(key=lambda p: (-p.total_hours, p.masked_name, p.key))
    return people


@dataclass(frozen=True)
class Shared:
    """A ledger's volunteer who is registered in other ledgers too, for its station page."""

    key: str
    number: str
    masked_name: str
    others: int  # other ledgers registering the person
    hours_here: float
    hours_elsewhere: float

    @property
    def total_hours(self) -> float:
        return round(self.hours_here + self.hours_elsewhere, 2)


def elsewhere(conn: Connection, station_id: str) -> dict[str, tuple[str, set[str], float]]:
    """This ledger's live volunteers registered (live) in other ledgers too: volunteer id → (person key, the other
    ledgers' station ids, their hours there)."""
    mine, other = person_link.alias("mine"), person_link.alias("other")
    rows = conn.execute(
        select(mine.c.volunteer_id, mine.c.person_key, other.c.station_id, other.c.volunteer_id)
        .join(other, and_(other.c.person_key == mine.c.person_key, other.c.station_id != mine.c.station_id))
        .where(mine.c.station_id == station_id, mine.c.deleted == False, other.c.deleted == False)).all()
    hours = hours_of(conn, [r[3] for r in rows])
    out: dict[str, tuple[str, set[str], float]] = {}
    for mine_id, key, other_station, other_id in rows:
        _key, stations, spent = out.get(mine_id, (key, set(), 0.0))
        stations.add(other_station)
        out[mine_id] = (key, stations, round(spent + hours.get(other_id, (0.0, 0))[0], 2))
    return out


def shared_of_station(conn: Connection, station_id: str) -> list[Shared]:
    """For the station page: its volunteers registered in other ledgers too, most hours in all first."""
    found = elsewhere(conn, station_id)
    if not found:
        return []
    volunteer = TABLES["volunteer"]
    names = {}
    for chunk in _chunks(found):
        names.update({r.id: r for r in conn.execute(select(volunteer.c.id, volunteer.c.number, volunteer.c.name)
                                                     .where(volunteer.c.id.in_(chunk)))})
    here = hours_of(conn, found)
    out = [Shared(key, names[vid].number, mask_name(names[vid].name), len(stations), here.get(vid, (0.0, 0))[0], spent)
           for vid, (key, stations, spent) in found.items() if vid in names]
    out.sort(key=lambda s: (-s.total_hours, s.number))
    return out


# -- what each ledger hears ---------------------------------------------------------------------------------------

def note_of(conn: Connection, station_id: str) -> dict:
    """The ``person_links`` item's body for a ledger: for each of its volunteers registered elsewhere, how many other
    ledgers and their hours there — no name, number or place of another ledger."""
    found = elsewhere(conn, station_id)
    return {"volunteers": {vid: {"ledgers": len(stations), "hours": spent}
                           for vid, (_key, stations, spent) in sorted(found.items())}}


def refresh_note(engine: Engine, acct) -> None:
    """Before a pull (network or USB reply): a ``person_links`` item for this ledger when what the district knows of
    its volunteers elsewhere has changed since the last one it was sent. Only the newest is kept (as the directory)."""
    if acct is None or not acct.station_id:
        return
    with engine.begin() as conn:
        body = note_of(conn, acct.station_id)
        content = json.dumps(body, ensure_ascii=False, sort_keys=True)
        mine = and_(announcement.c.kind == ITEM, announcement.c.station_id == acct.station_id)
        last = conn.execute(select(announcement.c.body).where(mine)
                            .order_by(announcement.c.seq.desc()).limit(1)).scalar()
        if last == content or (last is None and not body["volunteers"]):
            return
        new = conn.execute(announcement.insert().values(id=str(uuid.uuid4()), kind=ITEM, title="本站志愿者在其他站点的登记情况",
                                                        body=content, published_at=utcnow(), station_id=acct.station_id)
                           ).inserted_primary_key[0]  # type: ignore[index]  # (an insert always has its key)
        # After the insert, as for the directory (tiers.py): a seq used again would sit behind the ledger's cursor.
        conn.execute(delete(announcement).where(mine, announcement.c.seq < new))


SHEET_HEADERS = ["序号", "姓名", "证件号码", "登记台账数", "台账", "级别", "所属街道", "志愿者编号", "注册日期", "本台账时长（小时）",
                 "本台账活动次数", "范围外台账数", "全区累计时长（小时）"]


def sheet_rows(people: list[Person]) -> list[list]:
    """The district's sheet of people registered in more than one ledger: one line per ledger in scope, masked."""
    rows = []
    for n, p in enumerate(people, start=1):
        for r in p.records:
            rows.append([n, p.masked_name, p.masked_id, p.ledgers, r.ledger, station_level(r.level).unit,
                         r.street or "—", r.number, r.registered_on, r.hours, r.activities, p.hidden_ledgers,
                         p.total_hours])
    return rows
