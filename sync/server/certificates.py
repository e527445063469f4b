"""志愿服务记录证明 at the district (#26): what stations report, and what anyone holding a paper may check.

A station reports its certificates (and their 作废) after each sync, with its public key; the key is taken
only from the station's own authenticated sync (the token says which station it is), and every certificate
must carry that key's signature of its QR payload and a number of that station's code. ``/verify/<number>``
answers from what was reported — 有效 or 已作废 — or, for a paper issued since the station's last sync, from the
signed payload in its QR code alone, against the keys the issuing station has registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from app.models.base import utcnow
from app.signing import CertificatePayload, station_code, unb64, verify

from .db import account, certificate, station_key

NUMBER = re.compile(r"ZM-[0-9A-Z]{1,6}-\d{4}-\d{4,6}")
KEY = re.compile(r"[A-Za-z0-9_-]{43}")


class Refused(Exception):
    pass


def _text(value, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise Refused("格式错误")
    return value


def _day(value) -> date:
    try:
        return date.fromisoformat(_text(value, 10))
    except ValueError:
        raise Refused("日期格式错误") from None


def register_key(engine: Engine, station_id: str, key: str) -> None:
    """A public key the station sent when it enrolled (its code just proved who it is)."""
    with engine.begin() as conn:
        acct = conn.execute(select(account.c.id).where(account.c.station_id == station_id)).first()
        if acct is not None and key not in set(conn.execute(select(station_key.c.public_key).where(station_key.c.account_id == acct.id)).scalars()):
            conn.execute(station_key.insert().values(account_id=acct.id, public_key=key, first_seen=utcnow()))


def receive(engine: Engine, acct, body) -> dict:
    """One station's report: its public key and certificates (new ones, and 作废 of old ones). Returns the numbers
    taken and, per number, why one was refused."""
    if not isinstance(body, dict):
        raise Refused("格式错误")
    key = body.get("public_key")
    if not isinstance(key, str) or not KEY.fullmatch(key) or len(unb64(key)) != 32:
        raise Refused("本站的签名公钥格式错误")
    items = body.get("certificates")
    if not isinstance(items, list) or len(items) > 500:
        raise Refused("证明列表格式错误")
    code = station_code(acct.station_id or "")
    taken, refused = [], {}
    with engine.begin() as conn:
        known = set(conn.execute(select(station_key.c.public_key).where(station_key.c.account_id == acct.id)).scalars())
        if key not in known:
            conn.execute(station_key.insert().values(account_id=acct.id, public_key=key, first_seen=utcnow()))
        for item in items:
            number = item.get("number") if isinstance(item, dict) else None
            if not isinstance(number, str) or not NUMBER.fullmatch(number):
                refused[str(number)[:40]] = "证明编号格式错误"
                continue
            try:
                if number.split("-")[1] != code:
                    raise Refused("证明编号不是本站的")
                payload = CertificatePayload(number, _text(item.get("masked_name"), 50), _day(item.get("date_from")),
                                             _day(item.get("date_to")), float(item.get("hours")))
                signature = _text(item.get("signature"), 100)
                if not verify(key, payload.text(), signature):
                    raise Refused("签名与内容不符")
                revoked = _day(item["revoked_on"]) if item.get("revoked_on") else None
                values = dict(masked_name=payload.masked_name, date_from=payload.date_from, date_to=payload.date_to,
                              hours=payload.hours, activities=int(item.get("activities") or 0), issued_on=_day(item.get("issued_on")),
                              signature=signature, revoked_on=revoked, revoke_reason=_text(item.get("revoke_reason") or "", 200),
                              received_at=utcnow())
            except (Refused, TypeError, ValueError) as exc:
                refused[number] = str(exc) if isinstance(exc, Refused) else "格式错误"
                continue
            held = conn.execute(select(certificate.c.account_id).where(certificate.c.number == number)).first()
            if held is None:
                conn.execute(certificate.insert().values(number=number, account_id=acct.id, **values))
            elif held.account_id != acct.id:
                refused[number] = "证明编号已被其他站使用"
                continue
            else:
                conn.execute(certificate.update().where(certificate.c.number == number).values(**values))
            taken.append(number)
    return {"taken": taken, "refused": refused}


@dataclass(frozen=True)
class Answer:
    status: str  # valid | revoked | signed_unreported | bad_signature | not_found
    issuer: str = ""
    masked_name: str = ""
    date_from: date | None = None
    date_to: date | None = None
    hours: float | None = None
    revoked_on: date | None = None
    revoke_reason: str = ""


def lookup(engine: Engine, number: str, payload_b64: str = "", signature: str = "") -> Answer:
    """What the district can say of a certificate number (and of the signed payload its QR code carries)."""
    number = number.strip().upper()
    if not NUMBER.fullmatch(number):
        return Answer("not_found")
    with engine.connect() as conn:
        row = conn.execute(select(certificate, account.c.name).join(account, account.c.id == certificate.c.account_id)
                           .where(certificate.c.number == number)).first()
        if row is not None:
            return Answer("revoked" if row.revoked_on else "valid", row.name, row.masked_name, row.date_from, row.date_to, row.hours,
                          row.revoked_on, row.revoke_reason)
        if not payload_b64 or not signature:
            return Answer("not_found")
        try:
            payload = CertificatePayload.parse(unb64(payload_b64[:400]).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            payload = None
        if payload is None or payload.number != number:
            return Answer("bad_signature")
        code = number.split("-")[1]
        for acct in conn.execute(select(account.c.id, account.c.name, account.c.station_id).where(account.c.station_id.is_not(None))):
            if station_code(acct.station_id) != code:
                continue
            keys = conn.execute(select(station_key.c.public_key).where(station_key.c.account_id == acct.id)).scalars()
            if any(verify(key, payload.text(), signature[:100]) for key in keys):
                return Answer("signed_unreported", acct.name, payload.masked_name, payload.date_from, payload.date_to, payload.hours)
        return Answer("bad_signature")
