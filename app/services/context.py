"""Who is acting, on which store: every service takes a ``Context`` first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from ..models import Station
from ..models.enums import Role
from .errors import NotFound, PermissionDenied

if TYPE_CHECKING:  # a context is given its store: it never opens one
    from ..db import Store


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    role: Role

    @property
    def label(self) -> str:
        return self.display_name or self.username


SYSTEM_ACTOR = Actor(username="system", display_name="系统", role=Role.admin)


@dataclass(frozen=True)
class Context:
    store: Store
    actor: Actor = SYSTEM_ACTOR

    @property
    def station_id(self) -> str:
        station_id = self.store.station_id
        if station_id is None:
            raise NotFound("尚未建立实践站，请先运行“station init”或在首次启动向导中创建。")
        return station_id

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.store.session(operator=self.actor.label) as session:
            yield session

    @contextmanager
    def write(self, *, immediate: bool = False, label: str = "") -> Iterator[Session]:
        """A session whose changes commit together when the block ends without error
        (``immediate``: holding the write lock from the start, see ``Store.session``).

        Every write passes the store's gate first (``app.gate``): writers in this process queue
        there, and one that has to wait is told what is running (``label``, e.g. 结算活动积分)."""
        if not self.actor.role.can_write:
            raise PermissionDenied(f"操作员“{self.actor.label}”为{self.actor.role.label}，不能修改数据")
        with self.store.gate.hold(label), self.store.session(operator=self.actor.label, immediate=immediate) as session:
            yield session
            session.commit()

    def require_admin(self) -> None:
        if self.actor.role is not Role.admin:
            raise PermissionDenied("只有管理员可以进行此操作")

    def station(self, session: Session) -> Station:
        station = session.get(Station, self.station_id)
        if station is None:
            raise NotFound("找不到实践站信息")
        return station


def live(model):
    """``select(model)`` limited to rows not in the recycle bin. It does not filter by station: a query that
    needs that adds ``model.station_id == ctx.station_id`` itself (a store holds one station's ledger)."""
    return select(model).where(model.deleted == False)
