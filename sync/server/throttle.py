"""Guessing is slow: failed staff logins and enrollment codes are counted per user name and per address,
in the database (every server process sees the same counts), and a key past its limit is locked for a
while. An unknown user name costs the same password hashing as a known one, so timing tells nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy import exc as sa_exc

from app.models.base import utcnow

from .db import attempt


@dataclass(frozen=True)
class Limit:
    failures: int  # this many failures within ``window`` lock the key
    window: timedelta
    lock: timedelta


LOGIN_USER = ("login-user", Limit(5, timedelta(minutes=15), timedelta(minutes=15)))
LOGIN_ADDR = ("login-addr", Limit(20, timedelta(minutes=15), timedelta(minutes=15)))
ENROLL_ADDR = ("enroll-addr", Limit(10, timedelta(minutes=15), timedelta(minutes=15)))
VERIFY_ADDR = ("verify-addr", Limit(60, timedelta(minutes=15), timedelta(minutes=15)))  # /verify lookups per address (each counts)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def locked_for(engine: Engine, kind: tuple[str, Limit], key: str, now: datetime | None = None) -> int:
    """Seconds until ``key`` may try again (0: it may now)."""
    now = now or utcnow()
    with engine.connect() as conn:
        row = conn.execute(select(attempt.c.locked_until).where(attempt.c.kind == kind[0], attempt.c.key == key[:100])).first()
    until = _as_utc(row.locked_until) if row else None
    return max(0, math.ceil((until - now).total_seconds())) if until and until > now else 0


def failed(engine: Engine, kind: tuple[str, Limit], key: str, now: datetime | None = None) -> None:
    """Count one failure; past the limit within the window, lock the key."""
    name, limit = kind
    key, now = key[:100], now or utcnow()
    for _try in range(3):  # two processes may insert the same key at once: the loser updates instead
        try:
            with engine.begin() as conn:
                row = conn.execute(select(attempt).where(attempt.c.kind == name, attempt.c.key == key).with_for_update()).first()
                if row is None:
                    conn.execute(attempt.insert().values(kind=name, key=key, failures=1, first_at=now, locked_until=None))
                    return
                failures, first = row.failures + 1, _as_utc(row.first_at) or now  # (first_at is never NULL)
                if now - first > limit.window:
                    failures, first = 1, now
                values = {"failures": failures, "first_at": first}
                if failures >= limit.failures:
                    values["locked_until"] = now + limit.lock
                    values["failures"], values["first_at"] = 0, now
                conn.execute(update(attempt).where(attempt.c.kind == name, attempt.c.key == key).values(**values))
                return
        except sa_exc.IntegrityError:
            continue


def succeeded(engine: Engine, kind: tuple[str, Limit], key: str) -> None:
    with engine.begin() as conn:
        conn.execute(attempt.delete().where(attempt.c.kind == kind[0], attempt.c.key == key[:100]))


def wait_text(seconds: int) -> str:
    return f"尝试次数过多，请 {max(1, math.ceil(seconds / 60))} 分钟后再试"
