"""What the station keeps about its sync with the district (local only, never pushed)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .base import UTCDateTime


class SyncState(SQLModel, table=True):
    """One row: where the district is and how far the station has got with it."""

    __tablename__ = "sync_state"

    id: int = Field(default=1, primary_key=True)
    server_url: str = Field(default="", max_length=300)
    token: str = Field(default="", max_length=200)  # the station's credential at the district
    account_name: str = Field(default="", max_length=100)  # the station's name in the district's list
    ca_file: str = Field(default="", max_length=500)  # a district CA to trust, if not a public one
    pull_cursor: str = Field(default="", max_length=100)  # issued by the server; saved with the pulled rows
    auto_minutes: int = Field(default=0)  # 0: only when the person clicks 同步
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by a restore: the next sync first fetches this station's rows the district has and the restored
    # store lacks, and keeps them in the 回收站 (docs/sync-protocol.md, "Restores").
    recover_pending: bool = Field(default=False)
    # The ledgers this one may hand a demand to (五.2), as the district last sent them (JSON: "upper", "lower");
    # empty until the first pull after #30's 转派 and 上报.
    directory: str = Field(default="")


class SyncRun(SQLModel, table=True):
    """One press of 同步 (or one `station sync`): the history the 同步 page lists."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", max_length=16)  # running | ok | failed | cancelled
    pushed: int = Field(default=0)
    rejected: int = Field(default=0)
    pulled: int = Field(default=0)
    bytes_sent: int = Field(default=0)
    message: str = Field(default="", max_length=1000)


class Announcement(SQLModel, table=True):
    """Published by the district; read-only on the station."""

    id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    body: str = Field(default="")
    published_at: datetime = Field(sa_type=UTCDateTime)
    # Shown on the 工作台 until someone marks it read (#30); the 同步 page keeps every one.
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_by: str = Field(default="", max_length=50)


class VolunteerElsewhere(SQLModel, table=True):
    """What the district last said of this ledger's volunteers who are registered in other ledgers too (#30): how
    many other ledgers and the hours recorded there — nothing else of them. Replaced whole by each ``person_links``
    item a pull brings; local, never synced. A volunteer not listed is, as far as the district knew, here only."""

    __tablename__ = "volunteer_elsewhere"

    volunteer_id: str = Field(primary_key=True, max_length=36)
    ledgers: int = Field(default=0)  # other 实践站 / 所 / 中心 registering the same person
    hours: float = Field(default=0.0)  # their service hours there, as the district had them
    as_of: datetime = Field(sa_type=UTCDateTime)  # when the district said so
