"""District administration shared by the command line and the tests: stations, staff, announcements."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import Engine, func, or_, select, update

from app.models.base import utcnow
from app.models.enums import StationLevel, station_level
from app.services.operators import hash_password

from .db import account, announcement, staff, staff_session

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def refuse_not_newer(new: int, current: int, at, error: type[Exception], *, what: str, file: str, old: str,
                     harm: str = "") -> None:
    """A published file (the 五有 rules, the 街道 weights) must be newer than the one in force: the same version
    twice would be two files under one name, an older one rolls everyone back. ``error`` says why, in Chinese."""
    local = at + timedelta(hours=8) if at is not None else None  # 北京时间
    since = f"{local.year}年{local.month}月{local.day}日发布" if local is not None else "程序自带"
    if new == current:
        raise error(f"第 {new} 版{what}已在使用（{since}），同一版本不能再次发布。修改了{what}请把 version 改为 {current + 1}")
    if new < current:
        raise error(f"这份{file}是第 {new} 版，比正在使用的第 {current} 版（{since}）旧，不能发布{harm or '。'}"
                    f"{'。' if harm else ''}确需恢复旧的{old}，请把旧文件的 version 改为 {current + 1} 后发布")


def same_secret(given: str, expected: str) -> bool:
    """A secret typed or posted, compared in constant time. ``compare_digest`` on ``str`` raises TypeError for
    any non-ASCII character (a 500 for a csrf of 令牌, #27), and ``encode()`` for a lone surrogate: compared as
    bytes, anything posted is simply not the secret."""
    return secrets.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EnrollRefused(ValueError):
    """A code (or a USB package's enrollment) that names another station, or a station enrolled elsewhere."""


def bind_station(conn, acct, station_id: str, new_token_hash: str, *, level: str | None = None, street: str | None = None) -> None:
    """Bind the account ``acct`` (found by its one-time code) to the station's own id, with the hash of
    the token the station will use. The same rules whether the code came over the network or on a stick.

    ``level`` and ``street`` are what the ledger says of itself (a program older than #30 says nothing): a code
    made for a 所 does not enroll a station's ledger, and an account made without a street learns it here."""
    if level and level != (acct.level or "station"):
        made_for, ledger = station_level(acct.level), station_level(level)
        raise EnrollRefused(f"登记码是为{made_for.long_name}“{acct.name}”建立的，而这份台账是{ledger.long_name}的。"
                            f"请向区文明实践中心核对：需要时区里用 station district add-station --level {ledger.value} 另建账号")
    if acct.station_id is not None and acct.station_id != station_id:
        raise EnrollRefused(f"登记码属于已登记的“{acct.name}”，与本站不符，请向区文明实践中心核对")
    other = conn.execute(select(account.c.id, account.c.name, account.c.revoked)
                         .where(account.c.station_id == station_id, account.c.id != acct.id)).first()
    if other is not None and not other.revoked:
        raise EnrollRefused(f"本站已由“{other.name}”账号登记。需要重新登记时，请区文明实践中心"
                            f"运行 station district reenable {other.name}，用它给出的新登记码")
    if other is not None:
        # A new account for a station whose old one was revoked: the station moves over; its rows
        # (keyed by the station's own id) stay where they are.
        conn.execute(update(account).where(account.c.id == other.id).values(station_id=None, token_hash=None))
    learnt = {"street": street.strip()[:100]} if street and street.strip() and not acct.street else {}
    conn.execute(update(account).where(account.c.id == acct.id).values(
        station_id=station_id, token_hash=new_token_hash, enroll_code_hash=None, enrolled_at=utcnow(), **learnt))


def add_station(engine: Engine, name: str, street: str = "", *, level: str = "station") -> str:
    """Create a station's — or a 所's, or the center's — account; returns its one-time enrollment code (stored
    only hashed). ValidationError (Chinese) when the tier and the street do not go together."""
    with engine.begin() as conn:
        return add_station_in(conn, name, street, level=level)


def add_station_in(conn, name: str, street: str = "", *, kind: str = "", population: int | None = None, level: str = "station") -> str:
    from app.services.errors import ValidationError

    if level not in StationLevel.__members__:
        raise ValidationError({"level": "级别应为 station（实践站）、institute（实践所）或 center（实践中心）"})
    tier = StationLevel(level)
    if tier is StationLevel.institute and not street.strip():
        raise ValidationError({"street": "实践所须填写所属街道（功能区）"})  # 二.2: one 所 per 街道
    if not tier.has_street:
        street, kind = "", ""  # the district's center belongs to no 街道 and is neither 村 nor 社区
    if tier is StationLevel.institute:  # 二.2: one 所 per 街道, whether added alone, by a sheet, or one sheet after another
        held = conn.execute(select(account.c.name).where(account.c.level == StationLevel.institute.value,
                                                         account.c.street == street.strip(), account.c.revoked == False)
                            ).first()
        if held is not None:
            raise ValidationError({"street": f"{street.strip()}已有实践所“{held.name}”（每个街道一个实践所）"})
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    conn.execute(account.insert().values(name=name.strip(), street=street.strip(), enroll_code_hash=token_hash(code), revoked=False,
                                         created_at=utcnow(), rows_received=0, rows_rejected=0, client_version="",
                                         kind=kind, population=population, level=level))
    return code


def revoke(engine: Engine, station: str) -> int:
    with engine.begin() as conn:
        return conn.execute(update(account).where(or_(account.c.name == station, account.c.station_id == station)).values(revoked=True)).rowcount


def reenable(engine: Engine, station: str) -> str | None:
    """Sync allowed again for a station (by name or id) with a new one-time code; the old token stops
    working. Also how a station restored from a backup made before it enrolled gets a code. None if unknown."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    with engine.begin() as conn:
        found = conn.execute(select(account.c.id).where(or_(account.c.name == station, account.c.station_id == station))
                             .order_by(account.c.id.desc())).first()
        if found is None:
            return None
        conn.execute(update(account).where(account.c.id == found.id).values(revoked=False, token_hash=None, enroll_code_hash=token_hash(code)))
    return code


MIN_STAFF_PASSWORD = 6
SCOPE_DISTRICT, SCOPE_STREET = "district", "street"


def parse_scope(text: str) -> str:
    """``district`` → "" (the whole district); ``street:艾山街道`` → "艾山街道" (#30). ValidationError (Chinese) otherwise."""
    from app.services.errors import ValidationError

    text = (text or "").strip()
    if text == SCOPE_DISTRICT:
        return ""
    kind, _, street = text.partition(":")
    if kind.strip() != SCOPE_STREET or not street.strip():
        raise ValidationError({"scope": "范围应为 district（全区）或 street:街道名称，如 street:艾山街道"})
    return street.strip()


def scope_label(street: str) -> str:
    return street if street else "全区"


def streets(conn) -> list[str]:
    """The 街道 named by the district's accounts (a 所 or a station of that street)."""
    return [r for (r,) in conn.execute(select(account.c.street).distinct().order_by(account.c.street)) if r]


def _staff_checks(username: str, password: str | None) -> dict[str, str]:
    problems = {}
    if not username or len(username) > 50 or any(c.isspace() for c in username):
        problems["username"] = "用户名不能为空，不能含空格，最多50个字符"
    if password is not None and len(password) < MIN_STAFF_PASSWORD:
        problems["password"] = f"密码至少{MIN_STAFF_PASSWORD}位"
    return problems


def _new_staff_problems(conn, username: str, street: str) -> dict[str, str]:
    problems = {}
    taken = conn.execute(select(staff.c.username).where(func.lower(staff.c.username) == username.lower())).scalar()
    if taken is not None:
        problems["username"] = f"已有用户名为“{taken}”的管理员账号，请换一个用户名（忘记密码请用 reset-staff-password）"
    if street and street not in streets(conn):
        known = "、".join(streets(conn)) or "（还没有）"
        problems["scope"] = (f"区里还没有“{street}”的实践所或实践站账号，请核对街道名称（现有街道：{known}），"
                             f"或先用 station district add-station --street {street} 添加")
    return problems


def check_new_staff(engine: Engine, username: str, street: str = "") -> None:
    """What add_staff would refuse before a password is typed: the name, the street (ValidationError, Chinese)."""
    from app.services.errors import ValidationError

    with engine.connect() as conn:
        problems = {**_staff_checks(username.strip(), None), **_new_staff_problems(conn, username.strip(), street.strip())}
    if problems:
        raise ValidationError(problems)


def add_staff(engine: Engine, username: str, password: str, display_name: str = "", *, street: str = "") -> None:
    """A staff account for the district pages. ``street`` empty: it sees the whole district; else only the 所 and
    stations of that 街道 (#30), which must be a street the district's accounts name. ValidationError (Chinese):
    a name already taken (whatever its case), a short password, an unknown street."""
    from app.services.errors import ValidationError

    username, street = username.strip(), street.strip()
    with engine.begin() as conn:
        problems = {**_staff_checks(username, password), **_new_staff_problems(conn, username, street)}
        if problems:
            raise ValidationError(problems)
        conn.execute(staff.insert().values(username=username, display_name=display_name.strip() or username,
                                           password_hash=hash_password(password), scope=SCOPE_STREET if street else SCOPE_DISTRICT,
                                           street=street, disabled=False))


def staff_accounts(engine: Engine) -> list:
    """Every staff account with how many sessions it has open."""
    open_sessions = (select(func.count()).select_from(staff_session)
                     .where(staff_session.c.staff_id == staff.c.id, staff_session.c.expires_at > utcnow()).scalar_subquery())
    with engine.connect() as conn:
        return conn.execute(select(staff, open_sessions.label("sessions")).order_by(staff.c.street, staff.c.username)).all()


def _end_sessions(conn, staff_id: int) -> None:
    conn.execute(staff_session.delete().where(staff_session.c.staff_id == staff_id))


def set_staff_disabled(engine: Engine, username: str, disabled: bool = True) -> bool:
    """Disable (or enable again) a staff account; disabling ends its open sessions at once. False if unknown."""
    with engine.begin() as conn:
        found = conn.execute(select(staff.c.id).where(staff.c.username == username.strip())).scalar()
        if found is None:
            return False
        conn.execute(update(staff).where(staff.c.id == found).values(disabled=disabled))
        if disabled:
            _end_sessions(conn, found)
    return True


def reset_staff_password(engine: Engine, username: str, password: str) -> bool:
    """A new password; the account's open sessions end (whoever knew the old one is logged out). False if unknown."""
    from app.services.errors import ValidationError

    problems = _staff_checks(username.strip(), password)
    problems.pop("username", None)
    if problems:
        raise ValidationError(problems)
    with engine.begin() as conn:
        found = conn.execute(select(staff.c.id).where(staff.c.username == username.strip())).scalar()
        if found is None:
            return False
        conn.execute(update(staff).where(staff.c.id == found).values(password_hash=hash_password(password)))
        _end_sessions(conn, found)
    return True


ANNOUNCEMENT_TITLE_MAX, ANNOUNCEMENT_BODY_MAX = 200, 5000


def announce(engine: Engine, title: str, body: str = "") -> str:
    """A notice every station receives with its next sync (and shows on its 工作台 until read).
    ValidationError (Chinese): no title, or a title or text too long."""
    from app.services.errors import ValidationError

    title, body = (title or "").strip(), (body or "").strip()
    problems = {}
    if not title:
        problems["title"] = "请填写通知标题"
    elif len(title) > ANNOUNCEMENT_TITLE_MAX:
        problems["title"] = f"通知标题最多{ANNOUNCEMENT_TITLE_MAX}个字"
    if len(body) > ANNOUNCEMENT_BODY_MAX:
        problems["body"] = f"通知内容最多{ANNOUNCEMENT_BODY_MAX}个字"
    if problems:
        raise ValidationError(problems)
    announcement_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(announcement.insert().values(id=announcement_id, kind="announcement", title=title, body=body, published_at=utcnow()))
    return announcement_id


def _published_rules(conn) -> list[tuple[int, object, str]]:
    """(version, published_at, text) of every published rules file that still parses, newest first."""
    from app.rules import RulesError, rules_version

    out = []
    for text, at in conn.execute(select(announcement.c.body, announcement.c.published_at).where(announcement.c.kind == "rules")
                                 .order_by(announcement.c.seq.desc())):
        try:
            out.append((rules_version(text), at, text))
        except RulesError:
            continue
    return out


def rules_in_force(conn) -> tuple[int, object, str]:
    """(version, published_at or None for the built-in file, text) of the rules the district and its stations use:
    the published file with the highest version (a district that published an older one before this check existed
    stays on the newer, as its stations do), else the built-in one."""
    from app.rules import RULES_FILE, rules_version

    published = _published_rules(conn)
    if published:
        return max(published, key=lambda p: p[0])  # max keeps the first (newest) of equal versions
    text = RULES_FILE.read_text(encoding="utf-8")
    return rules_version(text), None, text


def publish_rules(engine: Engine, text: str) -> str:
    """Publish a new rules file; stations receive it with their next sync. RulesError (Chinese) when it does not
    parse (naming the line), declares no version, or is not newer than the rules in force: publishing an older
    file would roll every station back, and the same version twice would leave two different files called one."""
    from app.rules import RulesError, rules_version

    new = rules_version(text)
    if new < 1:
        raise RulesError("规则文件须在开头写明版本号，如 version = 2（比正在使用的版本大1），各站据此判断新旧")
    rules_id = str(uuid.uuid4())
    with engine.begin() as conn:
        current, at, _text = rules_in_force(conn)
        refuse_not_newer(new, current, at, RulesError, what="规则", file="规则文件", old="规定",
                         harm="：发布后各站会退回旧规则")
        conn.execute(announcement.insert().values(id=rules_id, kind="rules", title=f"“五有”考核规则更新（第 {new} 版）", body=text,
                                                  published_at=utcnow()))
    return rules_id


def publish_national_mapping(engine: Engine, text: str) -> str:
    """Publish a new column mapping for the national system's batch entry (resources/national/mapping.toml's
    format); stations use it from their next sync, with no new release. Refused if it does not parse."""
    from app.exchange.national import parse_mapping

    mapping = parse_mapping(text)
    mapping_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(announcement.insert().values(id=mapping_id, kind="national_mapping", title=f"全国志愿服务信息系统导出格式更新：{mapping.name}"[:200],
                                                  body=text, published_at=utcnow()))
    return mapping_id


def current_rules(engine_or_conn):
    """The rules in force: the published file with the highest version, or the built-in ones."""
    from app.rules import parse_rules

    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return parse_rules(rules_in_force(conn)[2])
    return parse_rules(rules_in_force(engine_or_conn)[2])


def in_street(street: str):
    """The accounts a 街道 staff account may see (#30); every account for the district's own staff ("")."""
    from sqlalchemy import true

    return account.c.street == street if street else true()


def station_ids_in(street: str):
    """A subquery of the station ids of ``street``'s enrolled accounts, for tables keyed by station_id."""
    return select(account.c.station_id).where(account.c.station_id.is_not(None), in_street(street))


def dispatch_demand(engine: Engine, station: str, *, requester: str, content: str, category: str, contact: str = "", address: str = "",
                    due_on=None, wanted_on=None, note: str = "", street: str = "") -> str:
    """派单 from the district center to one enrolled station; it arrives with that station's next sync.

    Checked with the app's own rules, so the station never receives a demand it would refuse. ``street``: sent
    by a 街道 staff account, which dispatches only to its own street's 所 and stations (#30): another street's
    station is not found, as one that does not exist."""
    import json
    from datetime import date, timedelta

    from app.services.common import clean
    from app.services.demands import DEFAULT_DAYS, request_values
    from app.services.errors import FieldErrors, NotFound, ValidationError

    with engine.connect() as conn:
        acct = conn.execute(select(account).where(or_(account.c.name == station, account.c.station_id == station), in_street(street))).first()
    if acct is None:
        raise NotFound(f"{street}没有这个实践站或实践所，请从列表中选择" if street else f"区里没有名为“{station}”的实践站")
    if not acct.station_id or acct.revoked:
        raise ValidationError({"station": f"“{acct.name}”尚未登记或已停用，不能派单"})
    errors = FieldErrors()
    today = date.today()
    values = request_values({"requester": requester, "content": content, "category": category, "contact": contact, "address": address,
                              "due_on": due_on, "wanted_on": wanted_on}, errors, received_on=today)
    errors.raise_if_any()
    values["due_on"] = values["due_on"] or today + timedelta(days=DEFAULT_DAYS)
    payload = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
    payload.update(received_on=today.isoformat(), note=clean(note)[:500])
    dispatch_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(announcement.insert().values(id=dispatch_id, kind="dispatch", title=f"区中心派单：{values['content'][:60]}",
                                                  body=json.dumps(payload, ensure_ascii=False), published_at=utcnow(),
                                                  station_id=acct.station_id))
    return dispatch_id


def withdraw_dispatch(engine: Engine, dispatch_id: str, reason: str, *, street: str = "") -> str:
    """撤回 a dispatch (by its id or its short id): the station cancels its demand with this reason at its next sync,
    unless it has served it by then.

    Refused when the station has already reported the service done, or it was withdrawn before. A dispatch the 所
    (or station) that received it handed on (转派, 上报: 五.2) is withdrawn with every hop after it, each ledger
    cancelling its demand, unless the one holding it now has served it. ``street``: a 街道 staff account withdraws
    only dispatches to its own street; another street's is not found (#30)."""
    import json

    from app.models.enums import DemandState
    from app.services.common import clean
    from app.services.errors import NotFound, ValidationError

    from . import tiers
    from .attention import find_dispatch

    reason = clean(reason)
    if not reason:
        raise ValidationError({"reason": "请填写撤回原因"})
    with engine.begin() as conn:
        sent = find_dispatch(conn, dispatch_id, street)  # its full id, or the short id the pages show
        if sent is None:
            raise NotFound("找不到该派单")
        dispatch_id = sent.id
        earlier = conn.execute(select(announcement.c.id).where(announcement.c.kind == "dispatch_withdrawn",
                                                               announcement.c.body.contains(dispatch_id))).first()
        if earlier is not None:
            raise ValidationError({"dispatch_id": "该派单已经撤回过了"})
        # A need a 所 转派ed on (or a station 上报ed) went on as further dispatches (五.2): withdrawn, all of them are, unless
        # the ledger that has it now has served it.
        hops = tiers.chain(conn, dispatch_id)
        last, there = hops[-1] if hops else (sent, None)
        waiting = (DemandState.ordered, DemandState.approved, DemandState.dispatched, DemandState.taken, DemandState.passed,
                   DemandState.reported)
        if there is not None and DemandState(there.state) not in waiting:
            if len(hops) == 1:
                raise ValidationError({"dispatch_id": f"该站已{DemandState(there.state).label}，不能撤回"})
            holder = conn.execute(select(account.c.name, account.c.level).where(account.c.station_id == last.station_id)).first()
            who = f"{holder.name}（{station_level(holder.level).unit}）" if holder is not None else "下级"
            raise ValidationError({"dispatch_id": f"已转至{who}，对方已{DemandState(there.state).label}，不能撤回"})
        withdrawal_id = ""
        for hop, _there in hops or [(sent, None)]:
            if hop.id != dispatch_id and conn.execute(select(announcement.c.id).where(
                    announcement.c.kind == "dispatch_withdrawn", announcement.c.body.contains(hop.id))).first() is not None:
                continue
            one = str(uuid.uuid4())
            withdrawal_id = withdrawal_id or one
            conn.execute(announcement.insert().values(
                id=one, kind="dispatch_withdrawn", title=f"撤回派单：{hop.title[:60]}", published_at=utcnow(),
                body=json.dumps({"dispatch_id": hop.id, "reason": reason[:400]}, ensure_ascii=False), station_id=hop.station_id))
    return withdrawal_id


def accounts(engine: Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(account).order_by(account.c.street, account.c.name)).all()
