"""A demo district on a district server (#30): the nine demo ledgers get their accounts, enroll and sync.

The accounts are made in the district's database (as ``station district add-station`` makes them, one
one-time code each); each ledger then enrolls with its code and syncs — over the network when the
server's address is given, else by sync package (the USB stick's way) imported straight into the
database, its reply taken back into the ledger. Either way the district ends up with the same rows.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from app.db import Store
from app.demo import DemoLedger
from app.services.errors import ServiceError

from .server import admin
from .server.db import account


@dataclass
class Synced:
    """One ledger's trip to the district: how many rows it sent, how many were refused."""
    ledger: DemoLedger
    account_name: str
    pushed: int
    rejected: int


def check_names_free(engine: Engine, names: list[str]) -> None:
    """A demo district goes into a district without those names: a second run would make second accounts
    with the same names, which no person could tell apart."""
    with engine.connect() as conn:
        taken = list(conn.execute(select(account.c.name).where(account.c.name.in_(names))).scalars())
    if taken:
        raise ServiceError(f"区级数据库中已有同名账号：{'、'.join(taken)}。示范区请用新的区级数据目录（--dir）或数据库（--db）")


def enroll_and_sync(engine: Engine, ledgers: list[DemoLedger], *, server: str = "", ca_file: str = "",
                    progress: Callable[[str], None] = lambda _m: None) -> list[Synced]:
    """Make an account for each ledger (its name, tier and 街道), enroll it with its code and sync it."""
    check_names_free(engine, [led.profile.name for led in ledgers])
    done = []
    for led in ledgers:
        p = led.profile
        code = admin.add_station(engine, p.name, p.street, level=p.level)
        with Store.open(led.path, create=False) as store:
            done.append(_over_network(store, led, server, code, ca_file) if server else _by_package(engine, store, led, code))
        synced = done[-1]
        progress(f"{p.name}已登记并同步：上传 {synced.pushed} 条，被拒 {synced.rejected} 条")
    # Once more, with nothing left to send: a ledger that synced before the others hears what they brought — the
    # ledgers it may 转派 or 上报 to, and which of its volunteers the others register too (#30).
    for led in ledgers[:-1]:
        with Store.open(led.path, create=False) as store:
            if server:
                from .client import SyncClient

                SyncClient(store).sync()
            else:
                _by_package(engine, store, led, "")
    progress("各台账已再同步一次，收到其他台账登记后才有的信息（可转派、上报的对象，在其他站点也登记的志愿者）")
    return done


def _over_network(store: Store, led: DemoLedger, server: str, code: str, ca_file: str) -> Synced:
    from .client import SyncClient

    client = SyncClient(store)
    name = client.enroll(server, code, ca_file=ca_file)
    result = client.sync()
    return Synced(led, name, result.pushed, result.rejected)


def _by_package(engine: Engine, store: Store, led: DemoLedger, code: str) -> Synced:
    from .package import export_package, import_reply
    from .server.packages import import_package
    from .server.photos import PhotoStore

    with tempfile.TemporaryDirectory(prefix="station-demo-") as tmp:
        package = export_package(store, Path(tmp) / f"{led.profile.folder}.slpkg", code=code, allow_demo=True)
        imported = import_package(engine, PhotoStore(engine, None), package.path, by="示范区")
        import_reply(store, io.BytesIO(imported.reply))
    return Synced(led, imported.station_name, imported.applied + imported.duplicate, imported.rejected)
