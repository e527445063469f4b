"""One writer at a time in this process, and a person told what they are waiting for.

SQLite lets one connection write at a time; a second writer waits in the busy handler and, after
the timeout, fails with "database is locked". On the GUI thread that wait is a frozen window.
Every write in the program (``Context.write``) passes this gate first, so in-process writers
queue here instead of inside SQLite, and the gate knows what is running ("结算活动积分", since when).

- A background job (settlement, import, bulk delete, sync) holds the gate for its transaction.
- The GUI thread registers a *waiter*: when it has to wait, the waiter keeps the window alive
  (progress dialog naming the running job, 取消) until the gate is free or the person gives up.
- Any other thread (the command line, a worker) waits up to ``timeout`` seconds, then gets
  ``StoreBusy`` with a Chinese message naming what is running — never SQLite's English text.

The gate is re-entrant for the thread holding it (a service calling another service). Writes that
do not go through ``Context.write`` (the outbox, the sync client, login counters) are caught at the
engine: their first INSERT/UPDATE/DELETE takes the gate and the transaction's end gives it back
(``install_on_engine``), so no writer in this process can meet another inside SQLite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .services.errors import ServiceError

DEFAULT_TIMEOUT = 60.0


class StoreBusy(ServiceError):
    """The store stayed busy with another job for longer than the caller could wait."""


class WriteWaitCancelled(ServiceError):
    """The person stopped waiting for a running job; nothing of theirs was written."""


class WriteGate:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self._cond = threading.Condition(threading.Lock())
        self._depth = 0
        self._owner: int | None = None
        self._label = ""
        self._since = 0.0
        self._waiter: Callable[["WriteGate", str], bool] | None = None
        self._waiter_thread: int | None = None
        self._local = threading.local()
        self._wanted = 0  # threads that found the gate taken and wait for it (give_way lets them in)

    # -- what is running -----------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._owner is not None

    @property
    def label(self) -> str:
        return self._label

    @property
    def wanted(self) -> bool:
        """Whether a writer queued for the gate meanwhile: a long job ends its slice and gives way (``give_way``)."""
        return self._wanted > 0

    def held_by_me(self) -> bool:
        return self._owner == threading.get_ident()

    def held_seconds(self) -> float:
        return time.monotonic() - self._since if self._owner is not None else 0.0

    def describe(self) -> str:
        """e.g. 正在结算活动积分（已进行 12 秒）"""
        label = self._label or "保存数据"
        return f"正在{label}（已进行 {int(self.held_seconds())} 秒）"

    def default_label(self) -> str:
        return getattr(self._local, "label", "")

    def labelled(self, label: str):
        """Name what this thread's writes are part of (e.g. 同步数据) for anyone who has to wait."""
        return _Labelled(self, label)

    # -- waiting ----------------------------------------------------------------
    def set_waiter(self, waiter: Callable[["WriteGate", str], bool] | None) -> None:
        """``waiter(gate, label)`` is called on *this* thread instead of blocking; it must return True
        once it has acquired the gate with ``gate.try_acquire(timeout, label)``, or False when the
        person gave up."""
        self._waiter = waiter
        self._waiter_thread = threading.get_ident() if waiter else None

    def try_acquire(self, timeout: float = 0.0, label: str = "") -> bool:
        me = threading.get_ident()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._owner is not None and self._owner != me:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            self._depth += 1
            if self._depth == 1:
                self._owner = me
                self._label = label or self.default_label()
                self._since = time.monotonic()
            return True

    def acquire(self, label: str = "") -> None:
        if self.try_acquire(label=label):
            return
        with self._cond:
            self._wanted += 1
        try:
            if self._waiter is not None and threading.get_ident() == self._waiter_thread:
                if not self._waiter(self, label):
                    raise WriteWaitCancelled(f"已停止等待，这次的修改没有保存（{self.describe()}）；可稍后再保存")
                return
            if not self.try_acquire(self.timeout, label):
                raise StoreBusy(f"台账正忙：{self.describe()}，等了 {int(self.timeout)} 秒仍未完成，请稍后再试")
        finally:
            with self._cond:
                self._wanted -= 1
                self._cond.notify_all()

    def give_way(self, limit: float = 5.0) -> None:
        """Between two slices of a long job (a settlement commits every few hundred activities): let every
        writer that queued meanwhile — a clerk's save — have the gate before the job takes it again, so a
        save waits for one slice, not for the whole job (#25). Returns at once when nobody waits; waits at
        most ``limit`` seconds for them to get in."""
        deadline = time.monotonic() + limit
        with self._cond:
            while self._wanted > 0 and self._owner != threading.get_ident():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def release(self) -> None:
        with self._cond:
            if self._depth <= 0:
                return
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._label = ""
                self._cond.notify_all()

    def hold(self, label: str = ""):
        return _Held(self, label)


class _Labelled:
    def __init__(self, gate: WriteGate, label: str):
        self.gate, self.label = gate, label

    def __enter__(self) -> None:
        self.previous = self.gate.default_label()
        self.gate._local.label = self.label

    def __exit__(self, *exc) -> None:
        self.gate._local.label = self.previous


class _Held:
    def __init__(self, gate: WriteGate, label: str):
        self.gate, self.label = gate, label

    def __enter__(self) -> WriteGate:
        self.gate.acquire(self.label)
        return self.gate

    def __exit__(self, *exc) -> None:
        self.gate.release()


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(db_path) -> WriteGate:
    """The one gate of a database file in this process, shared by every ``Store`` opened on it."""
    import os

    key = os.path.normcase(os.path.realpath(db_path))
    with _gates_lock:
        return _gates.setdefault(key, WriteGate())


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


def install_on_engine(engine, gate: WriteGate) -> None:
    """Every connection's first write in a transaction passes ``gate``; commit or rollback releases it."""
    from sqlalchemy import event

    def before_execute(conn, _cursor, statement, _params, _context, _many) -> None:
        info = conn.info
        if info.get("gate_held") or not statement.lstrip()[:15].upper().startswith(_WRITES):
            return
        gate.acquire(gate.default_label())
        info["gate_held"] = True

    def ended(conn, *_args) -> None:
        if conn.info.pop("gate_held", False):
            gate.release()

    def reset(dbapi_connection, connection_record, reset_state) -> None:  # returned without commit or rollback
        checkin(dbapi_connection, connection_record)

    def checkin(dbapi_connection, connection_record) -> None:
        if connection_record is not None and connection_record.info.pop("gate_held", False):
            gate.release()

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    event.listen(engine.pool, "reset", reset)
    event.listen(engine.pool, "checkin", checkin)
