"""The activity ledger: activities, who served and for how long, and photos."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field

from .base import STATION_ONLY, SyncedBase, reference


class Activity(SyncedBase, table=True):
    __table_args__ = (Index("ix_activity_station_date", "station_id", "date"),
                      # rows changed since the last settlement (points.unsettled_count)
                      Index("ix_activity_updated_at", "updated_at", info=STATION_ONLY))

    title: str = Field(max_length=200)
    category: str = Field(max_length=16)  # TEAM_CATEGORIES
    team_id: str | None = reference("team.id", optional=True, index=True)
    date: dt.date
    start_time: dt.time | None = Field(default=None)
    end_time: dt.time | None = Field(default=None)
    place: str = Field(default="", max_length=200)
    organiser: str = Field(default="", max_length=100)
    own_name: bool = Field(default=True)  # 四.8: held in the station's own name
    served_count: int = Field(default=0)  # 服务对象人数
    service_target: str = Field(default="", max_length=200)
    content: str = Field(default="", max_length=5000)
    status: str = Field(default="done", max_length=16)  # ActivityStatus
    family: bool = Field(default=False)  # 四.5: a family-civilization activity by civilized families
    project_id: str | None = reference("project.id", optional=True, index=True)


class Participation(SyncedBase, table=True):
    __table_args__ = (
        # a year's hours by activity, team or volunteer read from the index alone (stats, rules)
        Index("ix_participation_activity_cover", "activity_id", "deleted", "volunteer_id", "hours", info=STATION_ONLY),
        Index("ix_participation_updated_at", "updated_at", info=STATION_ONLY),
    )

    activity_id: str = reference("activity.id", index=True)
    volunteer_id: str = reference("volunteer.id", index=True)
    hours: float  # actual service time; travel excluded
    role: str = Field(default="志愿者", max_length=16)


class Photo(SyncedBase, table=True):
    activity_id: str = reference("activity.id", index=True)
    sha256: str = Field(max_length=64, index=True)  # file lives in photos/<sha256>
    caption: str = Field(default="", max_length=200)
    filename: str = Field(default="", max_length=200)
    size: int = Field(default=0)
