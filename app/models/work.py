"""What a station keeps beyond the ledger itself: projects (五.1–五.4), trainings (三.3),
management documents (二.7) and activity plans (四.8)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field

from .base import SyncedBase, reference


class Project(SyncedBase, table=True):
    """A volunteer-service project of the project library; brand projects count for 有项目 (五.4)."""

    name: str = Field(max_length=100)
    category: str = Field(max_length=20)  # PROJECT_CATEGORIES (五.1)
    description: str = Field(default="", max_length=2000)
    status: str = Field(default="running", max_length=16)  # planned | running | finished
    brand: bool = Field(default=False)  # 品牌项目
    started_on: dt.date | None = Field(default=None)


class Training(SyncedBase, table=True):
    """A training the station organised or joined (三.3); the center must hold ≥2 centralized ones a year."""

    title: str = Field(max_length=200)
    date: dt.date
    place: str = Field(default="", max_length=200)
    trainees: int = Field(default=0)
    centralized: bool = Field(default=False)  # 集中专业培训
    content: str = Field(default="", max_length=2000)


class Document(SyncedBase, table=True):
    """A management document on file (二.7): organisational structure, rules, project plans …"""

    kind: str = Field(max_length=16)  # DOCUMENT_KINDS
    title: str = Field(max_length=200)
    issued_on: dt.date | None = Field(default=None)
    note: str = Field(default="", max_length=1000)


class ActivityPlan(SyncedBase, table=True):
    """The annual or a monthly activity plan (四.8); ``month`` is empty for the annual plan."""

    __tablename__ = "activity_plan"

    year: int
    month: int | None = Field(default=None)
    title: str = Field(max_length=200)
    content: str = Field(default="", max_length=5000)


class ProjectTeam(SyncedBase, table=True):
    """Which teams carry a project."""

    __tablename__ = "project_team"

    project_id: str = reference("project.id", index=True)
    team_id: str = reference("team.id", index=True)
