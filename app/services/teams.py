"""Volunteer teams (三.2) and their rosters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Membership, Team, Volunteer
from ..models.enums import TEAM_CATEGORIES
from .common import apply_changes, check_choice, check_length, clean, get_row, parse_date
from .context import Context, live
from .errors import FieldErrors, NotFound, ValidationError


@dataclass(frozen=True)
class TeamSummary:
    team: Team
    members: int
    leader_name: str


@dataclass(frozen=True)
class Member:
    membership: Membership
    volunteer: Volunteer


def _validated(ctx: Context, session: Session, values: dict, *, current: Team | None) -> dict:
    errors = FieldErrors()
    merged = {k: getattr(current, k) for k in ("name", "category", "leader_id", "founded_on", "description")} if current else {}
    merged.update(values)
    name, category, description = clean(merged.get("name")), clean(merged.get("category")), clean(merged.get("description"))
    check_length(errors, "name", "服务队名称", name, 100, required=True)
    check_choice(errors, "category", "服务队类别", category, TEAM_CATEGORIES)
    check_length(errors, "description", "简介", description, 1000)
    founded_on = parse_date(merged.get("founded_on"), errors, "founded_on", "成立日期")
    if founded_on and founded_on > date.today():
        errors.add("founded_on", "成立日期不能晚于今天")
    out: dict[str, object] = {"name": name, "category": category, "leader_id": merged.get("leader_id") or None,
                              "description": description, "founded_on": founded_on}
    if name and "name" not in errors:
        query = live(Team).where(Team.station_id == ctx.station_id, Team.name == name)
        if current is not None:
            query = query.where(Team.id != current.id)
        if session.exec(query).first() is not None:
            errors.add("name", f"已有名为“{out['name']}”的服务队")
    if out["leader_id"]:
        leader = session.get(Volunteer, out["leader_id"])
        if leader is None or leader.deleted or leader.station_id != ctx.station_id:
            errors.add("leader_id", "所选队长不是本站登记的志愿者")
    errors.raise_if_any()
    return out


def _ensure_member(session: Session, ctx: Context, team: Team, volunteer_id: str, role: str, joined_on: date | None) -> Membership:
    existing = session.exec(
        live(Membership).where(
            Membership.team_id == team.id, Membership.volunteer_id == volunteer_id, Membership.left_on == None
        )
    ).first()
    if existing is not None:
        if existing.role != role:
            existing.role = role
        return existing
    membership = Membership(
        station_id=ctx.station_id, team_id=team.id, volunteer_id=volunteer_id, role=role, joined_on=joined_on or date.today()
    )
    session.add(membership)
    return membership


def add_team(ctx: Context, *, member_ids: list[str] | None = None, **values) -> Team:
    with ctx.write() as session:
        team = Team(station_id=ctx.station_id, **_validated(ctx, session, values, current=None))
        session.add(team)
        if member_ids is not None:
            _set_members(session, ctx, team, member_ids)
        if team.leader_id:
            _ensure_member(session, ctx, team, team.leader_id, "队长", team.founded_on)
    return team


def update_team(ctx: Context, team_id: str, *, member_ids: list[str] | None = None, **values) -> Team:
    with ctx.write() as session:
        team = get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id)
        apply_changes(team, _validated(ctx, session, values, current=team))
        if member_ids is not None:
            _set_members(session, ctx, team, member_ids)
        if team.leader_id:
            _ensure_member(session, ctx, team, team.leader_id, "队长", None)
    return team


def get_team(ctx: Context, team_id: str) -> Team:
    with ctx.read() as session:
        return get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id, allow_deleted=True)


def find_team(ctx: Context, name: str) -> Team:
    name = clean(name)
    with ctx.read() as session:
        team = session.exec(live(Team).where(Team.station_id == ctx.station_id, Team.name == name)).first()
    if team is None:
        raise NotFound(f"找不到名为“{name}”的服务队")
    return team


def list_teams(ctx: Context, *, deleted: bool = False) -> list[TeamSummary]:
    members = (
        select(Membership.team_id, func.count().label("n"))
        .where(Membership.deleted == False, Membership.left_on == None)
        .group_by(Membership.team_id)
        .subquery()
    )
    query = (
        select(Team, func.coalesce(members.c.n, 0), Volunteer.name)
        .outerjoin(members, members.c.team_id == col(Team.id))
        .outerjoin(Volunteer, col(Volunteer.id) == col(Team.leader_id))
        .where(Team.station_id == ctx.station_id, Team.deleted == deleted)
        .order_by(Team.name)
    )
    with ctx.read() as session:
        return [TeamSummary(team=t, members=n, leader_name=leader or "") for t, n, leader in session.exec(query)]


def team_members(ctx: Context, team_id: str, *, include_left: bool = False) -> list[Member]:
    query = (
        select(Membership, Volunteer)
        .join(Volunteer, col(Volunteer.id) == col(Membership.volunteer_id))
        .where(Membership.team_id == team_id, Membership.deleted == False, Volunteer.deleted == False)
        .order_by(col(Membership.joined_on), col(Volunteer.number))
    )
    if not include_left:
        query = query.where(Membership.left_on == None)
    with ctx.read() as session:
        return [Member(m, v) for m, v in session.exec(query)]


def _set_members(session: Session, ctx: Context, team: Team, volunteer_ids: list[str]) -> None:
    wanted = list(dict.fromkeys(volunteer_ids))
    if team.leader_id and team.leader_id not in wanted:
        wanted.append(team.leader_id)  # the leader is always a member
    current = session.exec(
        live(Membership).where(Membership.team_id == team.id, Membership.left_on == None)
    ).all()
    for membership in current:
        if membership.volunteer_id not in wanted:
            membership.left_on = date.today()
    have = {m.volunteer_id for m in current}
    for volunteer_id in wanted:
        if volunteer_id not in have:
            get_row(session, Volunteer, volunteer_id, what="志愿者", station_id=ctx.station_id)
            _ensure_member(session, ctx, team, volunteer_id, "队员", None)


def set_members(ctx: Context, team_id: str, volunteer_ids: list[str]) -> None:
    """Make the team's current members exactly ``volunteer_ids`` (the form's member picker)."""
    with ctx.write() as session:
        team = get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id)
        if team.leader_id and team.leader_id not in volunteer_ids:
            raise ValidationError({"members": "队长不能移出服务队，请先更换队长"})
        _set_members(session, ctx, team, volunteer_ids)


def remove_member(ctx: Context, team_id: str, volunteer_id: str, *, left_on: date | None = None) -> None:
    with ctx.write() as session:
        team = get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id)
        if team.leader_id == volunteer_id:
            raise ValidationError({"members": "队长不能移出服务队，请先更换队长"})
        for membership in session.exec(
            live(Membership).where(
                Membership.team_id == team_id, Membership.volunteer_id == volunteer_id, Membership.left_on == None
            )
        ):
            membership.left_on = left_on or date.today()
