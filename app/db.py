"""The local store: one SQLite file in WAL mode, migrated by Alembic, backed up online.

Decisions (see docs/architecture.md):
- ``synchronous=FULL``: a village PC loses power; NORMAL can lose the last commits.
- ``foreign_keys=ON`` and a busy timeout on every connection.
- A fresh DB is created from the models and stamped; an older one is backed up,
  then upgraded with ``foreign_keys`` off (batch migrations rebuild tables),
  then ``foreign_key_check``-ed.
- Backups use SQLite's backup API: copying a WAL database file is not a backup.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlmodel import Session, SQLModel, select

from . import changes  # noqa: F401  (installs the change-capture hook)
from . import giveway, models
from .models import hours
from .config import DataPaths
from .files import atomic_output
from .migrations import HEAD_REVISION

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
DAILY_BACKUPS_KEPT = 30
OTHER_BACKUPS_KEPT = 10
STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"


class StoreError(Exception):
    """A problem with the database file itself, with a message for a person."""


def _apply_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()
    # Inside a long statement, or a read of many rows, a background job gives way to a starved window
    # thread (app/giveway.py); a no-op without a window, or on the window's own thread.
    dbapi_conn.set_progress_handler(_give_way, giveway.PROGRESS_OPS)


def _give_way() -> int:
    giveway.give_way()
    return 0  # anything else would interrupt the statement


def make_engine(db_path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _apply_pragmas)
    return engine


# Alembic is imported only when a migration has to run: it costs half a second at start.

def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str  # daily | manual | before-upgrade | before-restore
    created: datetime
    size: int

    @property
    def kind_label(self) -> str:
        return {
            "daily": "每日自动备份",
            "manual": "手动备份",
            "before-upgrade": "升级前备份",
            "before-restore": "恢复前备份",
        }.get(self.kind, self.kind)


def _sqlite_copy(src_path: Path, dst_path: Path) -> None:
    """Consistent copy of a live DB through the backup API (readers and writers may be active)."""
    src = sqlite3.connect(src_path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(dst_path)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def inspect_db_file(path: Path) -> str:
    """Validate a file as a station DB; return its schema revision or raise StoreError."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"找不到文件：{path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"无法打开文件 {path.name}：{exc}") from exc
    try:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path.name} 不是有效的台账数据库文件") from exc
        if result != "ok":
            raise StoreError(f"{path.name} 已损坏（完整性检查未通过：{result}）")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables or "station" not in tables:
            raise StoreError(f"{path.name} 不是本程序的台账数据库")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] not in known_revisions():
            raise StoreError(f"{path.name} 由更新版本的程序创建，请先升级本程序")
        if conn.execute("SELECT COUNT(*) FROM station").fetchone()[0] == 0:
            raise StoreError(f"{path.name} 中没有实践站信息")
        return revision[0]
    finally:
        conn.close()


def backup_time(path: Path) -> datetime:
    """When a backup was taken: from its name (``daily-20270104-093000-000000.db``), else the file's time."""
    path = Path(path)
    kind = _backup_kind(path.stem)
    try:  # a copied file's mtime may not be the time it was taken
        return datetime.strptime(path.stem[len(kind) + 1 :], STAMP_FORMAT)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime)


def operators_in(path: Path) -> list[tuple[str, str, str]]:
    """The operators (login name, name, role) a station DB file holds: what taking a backup's operators brings back."""
    try:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            return [tuple(row) for row in conn.execute("SELECT username, display_name, role FROM operator ORDER BY username")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{Path(path).name} 不是本程序的台账数据库") from exc


def restore_hint(paths: DataPaths) -> str:
    """How to get the station back: the newest backup by name, if there is one."""
    backups = sorted(paths.backups.glob("*.db"), key=lambda b: b.stat().st_mtime, reverse=True) if paths.backups.is_dir() else []
    if backups:
        return f"请用 station restore “{backups[0]}” 从最新的备份恢复（或在程序“设置”中从备份恢复）。"
    return "数据目录的 backups 文件夹中没有备份；如有别处保存的备份文件，请用 station restore 备份文件 恢复。"


def _create_store_file(target: Path) -> None:
    """A new, empty store at ``target``: schema and revision stamp made in a temporary file, then renamed,
    so that a kill or a power cut leaves either no store or a whole one."""
    partial = target.with_name(target.name + ".new")
    for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(partial)
    try:
        SQLModel.metadata.create_all(engine)
        with engine.connect() as conn:
            hours.install(conn.exec_driver_sql)  # the maintained hours figures (app/models/hours.py)
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            _alembic_command().stamp(cfg, "head")
            conn.commit()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    os.replace(partial, target)
    log.info("created a new store at revision %s", HEAD_REVISION)


def demo_hint(paths: DataPaths) -> str:
    """Where the desktop's demo station is, for a command pointed at a folder that holds only it (a new user's trial:
    the window showed the demo, the command line said no station exists)."""
    demo = paths.demo
    if not (demo / "station.db").exists():
        return ""
    return (f"\n这个数据目录里只有桌面程序打开过的示范站（数据是虚构的），在 {demo}：要用命令行查看示范站，"
            f"请加 --data-dir \"{demo}\"。")


class Store:
    """An open station database in one data dir."""

    def __init__(self, paths: DataPaths, engine: Engine):
        self.paths = paths
        self.engine = engine
        self._station_id: str | None = None
        from .gate import gate_for, install_on_engine  # here: app.gate imports the services package, which imports this module

        self.gate = gate_for(paths.db)
        install_on_engine(engine, self.gate)

    # -- opening ---------------------------------------------------------
    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], *, create: bool = True) -> "Store":
        """Open the store in ``data_dir``. A new one is made only with ``create`` (init, demo, restore, the
        first run of the app), and never half: it is built in a temporary file and renamed into place.
        An empty (0-byte) or foreign file is never replaced: the message says how to restore."""
        paths = DataPaths(data_dir)
        if paths.root.exists() and not paths.root.is_dir():
            raise StoreError(f"数据目录 {paths.root} 是一个文件，不是文件夹。请换一个数据目录（--data-dir）。")
        if not paths.db.exists():
            if not create:
                raise StoreError(f"数据目录 {paths.root} 中尚未建立实践站台账。请先用 station init 建立实践站，"
                                 f"或用 station restore 备份文件 从备份恢复。{demo_hint(paths)}")
            paths.ensure()
            _create_store_file(paths.db)
        paths.ensure()
        if paths.db.stat().st_size == 0:
            raise StoreError(f"台账数据库 {paths.db} 是空文件（0 字节），可能在写入时断电或磁盘出错。"
                             f"{restore_hint(paths)}")
        engine = make_engine(paths.db)
        store = cls(paths, engine)
        try:
            store._quick_check()
            store._migrate()
            if not store._has_statistics() and store.station_id is not None:  # a new store's statistics would only mislead later
                store.refresh_statistics()
        except Exception:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def _has_statistics(self) -> bool:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is not None

    def refresh_statistics(self) -> None:
        """ANALYZE, so that SQLite's planner knows the tables' sizes: without it, counting 100,000 activities walks
        the (station_id, date) index row by row (200 ms) instead of scanning the table (25–40 ms). Run when a store
        that has none is opened, and with the daily backup; 0.4 s on the 5-year bench store, milliseconds on a
        village's."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _quick_check(self) -> None:
        try:
            with self.engine.connect() as conn:
                result = conn.exec_driver_sql("PRAGMA quick_check").scalar()
        except Exception as exc:  # sqlite3.DatabaseError: file is not a database
            log.warning("store %s could not be opened: %s", self.paths.db, exc)
            from .known_errors import describe

            known = describe(exc)  # read-only, busy, disk full: not damage, and a restore would not help
            if known:
                raise StoreError(f"{known}（{self.paths.db}）") from exc
            raise StoreError(f"无法打开数据库 {self.paths.db}：文件已损坏或不是台账数据库。{restore_hint(self.paths)}") from exc
        if result != "ok":
            raise StoreError(f"台账数据库完整性检查未通过（{result}）。{restore_hint(self.paths)}")

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def _migrate(self) -> None:
        head = head_revision()
        current = self.current_revision()
        if current == head:
            return
        if current is None:
            with self.engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
            if tables:
                raise StoreError(f"{self.paths.db} 不是本程序的台账数据库。{restore_hint(self.paths)}")
            SQLModel.metadata.create_all(self.engine)
            self._run_alembic(lambda cfg: _alembic_command().stamp(cfg, "head"))
            log.info("created a new store at revision %s", head)
            return
        if current not in known_revisions():
            raise StoreError(f"数据库由更新版本的程序创建（结构版本 {current}），请升级本程序后再打开。")
        self.backup(kind="before-upgrade")
        self._run_alembic(lambda cfg: _alembic_command().upgrade(cfg, "head"), check_foreign_keys=True)
        log.info("upgraded the store from %s to %s", current, head)

    def _run_alembic(self, action, *, check_foreign_keys: bool = False) -> None:
        with self.engine.connect() as conn:
            # Batch migrations recreate tables: foreign keys must be off, and
            # that pragma only takes effect outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            action(cfg)
            conn.commit()
            if check_foreign_keys:
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise StoreError(f"升级后发现 {len(problems)} 处外键错误，已保留升级前备份。")
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()

    # -- sessions --------------------------------------------------------
    @property
    def station_id(self) -> str | None:
        if self._station_id is None:
            with Session(self.engine) as session:
                self._station_id = session.exec(select(models.Station.id).where(models.Station.deleted == False)).first()
        return self._station_id

    def forget_station(self) -> None:
        self._station_id = None

    @contextmanager
    def session(self, *, operator: str = "", immediate: bool = False) -> Iterator[Session]:
        """A short-lived session; changes made in it are captured under ``operator``.

        ``immediate`` takes SQLite's write lock before the first read (BEGIN IMMEDIATE), so a
        check-then-write — a balance before a redemption — cannot be raced by another session
        or process: the other waits (busy timeout) and then reads the committed result.
        """
        session = Session(self.engine, expire_on_commit=False)
        session.info["operator"] = operator
        session.info["station_id"] = self.station_id
        try:
            if immediate:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # -- health ----------------------------------------------------------
    def check(self) -> list[str]:
        """Full integrity and foreign-key check; an empty list means healthy."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            for (row,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
                if row != "ok":
                    problems.append(f"完整性：{row}")
            for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                problems.append(f"外键：表 {table} 第 {rowid} 行引用的 {parent} 记录不存在")
        return problems

    # -- backups ---------------------------------------------------------
    def backup(self, *, kind: str = "manual", to: str | os.PathLike[str] | None = None) -> Path:
        stamp = datetime.now().strftime(STAMP_FORMAT)
        target = Path(to) if to else self.paths.backups / f"{kind}-{stamp}.db"
        with atomic_output(target) as partial:
            _sqlite_copy(self.paths.db, partial)
        if to is None:
            self._rotate(kind)
        log.info("backup written: %s", target.name)
        return target

    def backup_daily(self) -> Path | None:
        """Make today's automatic backup unless there is one already."""
        today = datetime.now().strftime("%Y%m%d")
        if any(b.kind == "daily" and b.path.name.startswith(f"daily-{today}") for b in self.list_backups()):
            return None
        path = self.backup(kind="daily")
        self.refresh_statistics()  # the store has grown since yesterday: keep the planner's picture current
        return path

    def list_backups(self) -> list[BackupInfo]:
        found: list[BackupInfo] = []
        if not self.paths.backups.is_dir():
            return found
        for path in self.paths.backups.glob("*.db"):
            found.append(BackupInfo(path=path, kind=_backup_kind(path.stem), created=backup_time(path), size=path.stat().st_size))
        found.sort(key=lambda b: (b.created, b.path.name), reverse=True)
        return found

    def _rotate(self, kind: str) -> None:
        keep = DAILY_BACKUPS_KEPT if kind == "daily" else OTHER_BACKUPS_KEPT
        same = [b for b in self.list_backups() if b.kind == kind]
        for old in same[keep:]:
            old.path.unlink(missing_ok=True)

    def restore(self, source: str | os.PathLike[str], *, keep_operators: bool = True) -> Path:
        """Replace the live DB with a validated backup; returns the safety backup taken first.

        ``keep_operators``: the operators stay as they are now (accounts, roles, passwords, lockouts) rather
        than coming back as they were in the backup, when a password since changed (a clerk who left, a
        password someone learnt) would work again."""
        source = Path(source)
        inspect_db_file(source)
        # The enrollment is about this PC and the district, not the ledger: it survives the restore.
        with Session(self.engine) as session:
            enrollment = session.get(models.SyncState, 1)
            kept = {k: getattr(enrollment, k) for k in ("server_url", "token", "account_name", "ca_file", "auto_minutes")} if enrollment else {}
            operators = [op.model_dump() for op in session.exec(select(models.Operator))] if keep_operators else None
        safety = self.backup(kind="before-restore")
        self.engine.dispose()
        _sqlite_copy(source, self.paths.db)
        # The copy left the file in rollback-journal mode; our pragmas switch it back.
        self.engine = make_engine(self.paths.db)
        self._after_restore(source, kept, operators)
        return safety

    @classmethod
    def restore_into(cls, data_dir: str | os.PathLike[str], source: str | os.PathLike[str], *,
                     keep_operators: bool = True) -> tuple["Store", Path | None]:
        """``station restore``: works when the live store is whole (its safety backup is taken), missing (a new
        PC) or broken (0 bytes, foreign, damaged — it is moved aside, never deleted). Returns the store and
        where the previous data went."""
        source, paths = Path(source), DataPaths(data_dir)
        inspect_db_file(source)
        if paths.db.exists():
            try:
                store = cls.open(data_dir, create=False)
            except StoreError:
                stamp = datetime.now().strftime(STAMP_FORMAT)
                aside = paths.db.with_name(f"{paths.db.name}.damaged-{stamp}")
                for suffix in ("", "-wal", "-shm"):
                    part = paths.db.with_name(paths.db.name + suffix)
                    if part.exists():
                        os.replace(part, aside.with_name(aside.name + suffix))
                log.warning("moved a store that could not be opened aside to %s", aside.name)
            else:
                return store, store.restore(source, keep_operators=keep_operators)
        else:
            aside = None
        paths.ensure()
        with atomic_output(paths.db) as partial:
            _sqlite_copy(source, partial)
        store = cls(paths, make_engine(paths.db))
        try:
            store._after_restore(source, {})
        except Exception:
            store.close()
            raise
        return store, aside

    def _after_restore(self, source: Path, kept: dict, operators: list[dict] | None = None) -> None:
        """``operators``: the rows of the operators to have instead of the backup's (None: the backup's)."""
        self._station_id = None
        self._quick_check()
        self._migrate()
        # The district may hold versions made after this backup: every row goes up once more, so the
        # next sync leaves the district equal to what the station now has (docs/sync-protocol.md).
        from .outbox import requeue_everything

        queued = requeue_everything(self)
        with Session(self.engine) as session:
            state = session.get(models.SyncState, 1) or models.SyncState(id=1)
            for key, value in kept.items():
                if value or key not in ("server_url", "token"):
                    setattr(state, key, value)
            state.recover_pending = True
            session.add(state)
            if operators is not None:  # in the one transaction with the rest: never the backup's passwords by half
                for op in session.exec(select(models.Operator)).all():
                    session.delete(op)
                session.flush()
                session.add_all(models.Operator(**row) for row in operators)
            session.commit()
        log.info("restored from %s; %d rows queued for the district", source.name, queued)


def _alembic_command():
    from alembic import command

    return command


def _backup_kind(stem: str) -> str:
    for kind in ("before-upgrade", "before-restore", "daily", "manual"):
        if stem.startswith(kind + "-"):
            return kind
    return "manual"
