from datetime import date

from sqlmodel import select

from app.db import Store
from app.demo import build_demo
from app.models import Activity, Demand, Participation, PointEntry, Team, Volunteer
from app.services import activities, teams
from app.services.context import Context
from app.services.idcard import is_valid

TODAY = date(2026, 11, 15)


def snapshot(store: Store):
    """What the demo says, with row ids replaced by what a person sees (ids differ per store)."""
    with store.session() as s:
        number = {v.id: v.number for v in s.exec(select(Volunteer))}
        team = {t.id: t.name for t in s.exec(select(Team))}
        return (
            sorted((v.number, v.name, v.id_number, v.phone) for v in s.exec(select(Volunteer))),
            sorted((a.title, a.date.isoformat(), team.get(a.team_id, "")) for a in s.exec(select(Activity))),
            sorted((number[p.volunteer_id], p.hours) for p in s.exec(select(Participation))),
            sorted((d.number, d.requester, d.state) for d in s.exec(select(Demand))),
            sorted((number.get(e.volunteer_id, ""), e.household_id is None, e.points) for e in s.exec(select(PointEntry))),
        )


def test_same_seed_same_station_content_own_ids(tmp_path):
    with Store.open(tmp_path / "a") as a, Store.open(tmp_path / "b") as b:
        build_demo(a, seed=5, today=TODAY)
        build_demo(b, seed=5, today=TODAY)
        assert snapshot(a) == snapshot(b)
        # two demo stores are two stations to the district: no id in common
        assert a.station_id != b.station_id
        with a.session() as sa, b.session() as sb:
            assert not {v.id for v in sa.exec(select(Volunteer))} & {v.id for v in sb.exec(select(Volunteer))}


def test_demo_is_realistic_and_short_on_purpose(tmp_path):
    with Store.open(tmp_path / "d") as store:
        result = build_demo(store, seed=2022, today=TODAY)
        ctx = Context(store=store)
        assert result.teams >= 4 and result.volunteers >= 60
        with store.session() as s:
            assert all(is_valid(v.id_number) for v in s.exec(select(Volunteer)))
            categories = {t.category for t in s.exec(select(Team))}
        assert len(categories) >= 4
        acts = activities.list_activities(ctx, date_from=date(2025, 12, 1), date_to=TODAY)
        assert acts and all(a.activity.date <= TODAY for a in acts if a.activity.status == "done")
        assert all(a.hours > 0 for a in acts if a.activity.status == "done")
        # its 活动内容 names its own 地点 (a trial: 地点 新时代文明实践站广场, 内容 “在农家书屋开展”)
        told = [a.activity for a in acts if "开展“" in a.activity.content]  # (a 五单's activity says what was done instead)
        assert len(told) > 20 and all(f"在{a.place}开展" in a.content for a in told)
        # 村民文艺队 skipped the last two months; 护苗志愿服务队 has too few activities in the year
        by_team = {s.team.name: s.team.id for s in teams.list_teams(ctx)}
        recent = activities.list_activities(ctx, date_from=date(2026, 10, 1), date_to=TODAY, team_id=by_team["村民文艺队"])
        assert recent == []
        year = activities.list_activities(ctx, date_from=date(2025, 12, 1), date_to=TODAY, team_id=by_team["护苗志愿服务队"])
        assert len(year) < 12
        assert store.check() == []


def test_demo_refuses_a_store_with_data(tmp_path):
    import pytest

    from app.services.errors import ServiceError

    with Store.open(tmp_path / "d") as store:
        build_demo(store, today=TODAY)
        with pytest.raises(ServiceError, match="已有志愿者数据"):
            build_demo(store, today=TODAY)
