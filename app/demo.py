"""A realistic demo station, the same for the same seed (rows made through the services get fresh ids).

It is short of some quotas on purpose (a team that skipped recent months, a
young team with too few activities, too few volunteers for the population,
too few 理论政策宣讲 in the station's own name this year) so that the
self-check has something to find.
Each month is committed on its own: a run killed half-way leaves a consistent,
smaller station.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import select

from .db import Store
from .models import Activity, ActivityPlan, Document, FunctionRoom, Membership, Participation, Project, ServicePoint, Station, Team, Volunteer
from .services.activities import duration_hours, month_range
from .services.errors import ServiceError
from .services.idcard import check_char
from .services.pinyin import name_keys
from .services.volunteers import NUMBER_PREFIX

OPERATOR = "示范数据"
# The login of a demo made by `station demo` (printed there): made-up data, so a known password is no risk, and
# the store opens at the login box rather than at the first-run wizard.
DEMO_ADMIN, DEMO_PASSWORD = "admin", "demo123"
REGION = "370117"  # 济南市钢城区
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "秀英桂兰玉梅凤芝淑珍建国建华志强永军德明春燕海燕晓东丽娟红霞国庆立新文华子豪欣怡雨涵梓萱浩然宇轩佳怡明辉卫东爱华"

TEAMS = (
    # name, category, founded, skipped_recent_months, monthly_rate
    ("党员理论宣讲队", "理论政策宣讲", date(2021, 3, 1), 0, 1.3),
    ("孝老爱亲服务队", "敬老爱老", date(2021, 5, 1), 0, 1.6),
    ("美丽庭院环保队", "卫生环保", date(2021, 8, 1), 0, 1.2),
    ("村民文艺队", "文化文艺服务", date(2022, 1, 1), 2, 1.0),  # no activity in the last two months
    ("护苗志愿服务队", "关爱未成年人", date(2022, 6, 1), 0, 0.7),  # too few a year
)
TITLES = {
    "理论政策宣讲": ["党的创新理论微宣讲", "“强国复兴有我”主题宣讲", "惠农政策进万家", "学习贯彻会议精神宣讲"],
    "敬老爱老": ["为高龄老人理发", "重阳节敬老饺子宴", "走访慰问空巢老人", "老年人防诈骗知识讲座"],
    "卫生环保": ["村庄环境集中整治", "垃圾分类入户宣传", "清理河道垃圾", "美丽庭院评比"],
    "文化文艺服务": ["广场舞培训", "村晚排练", "送戏下乡", "农家书屋读书会"],
    "关爱未成年人": ["暑期课业辅导", "防溺水安全教育", "乡村复兴少年宫手工课", "留守儿童结对帮扶"],
}
PLACES = ("村党群服务中心", "新时代文明实践站广场", "村文化礼堂", "农家书屋", "村卫生室", "村委会会议室")
SKILLS = ("理发", "文艺表演", "医疗护理", "法律咨询", "电工维修", "书法绘画", "农业技术", "课业辅导", "")
TAGS = ("五老", "乡土人才", "返乡创业", "科技能人", "身边好人")


@dataclass
class DemoResult:
    station_name: str
    teams: int
    volunteers: int
    activities: int
    participations: int


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _id_number(rng: random.Random, born: date, female: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
    first17 = f"{REGION}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def build_demo(store: Store, *, years: int = 1, seed: int = 2022, today: date | None = None, ids_seed: int | None = None,
               progress: Callable[[str], None] = lambda _m: None) -> DemoResult:
    """The same content for the same ``seed``; row ids (the station's id among them) from ``ids_seed``,
    random by default: two demo stores are two stations to the district, never one enrolled twice."""
    if years < 1 or years > 10:
        raise ServiceError("年数应在1到10之间")
    today = today or date.today()
    rng = random.Random(seed)
    id_rng = random.Random(ids_seed if ids_seed is not None else secrets.randbits(64))
    with store.session(operator=OPERATOR) as session:
        if session.exec(select(Volunteer.id).limit(1)).first() is not None:
            raise ServiceError("数据目录中已有志愿者数据，示范站只能在新的数据目录中生成")
        station = session.exec(select(Station)).first()
        if station is None:
            station_id = _uuid(id_rng)
            station = Station(
                id=station_id, station_id=station_id, name="艾山街道杨家庄村新时代文明实践站", kind="village",
                street="艾山街道", population=1260, address="济南市钢城区艾山街道杨家庄村党群服务中心",
                phone="0531-76512345", contact="杨家庄村文明实践站志愿服务热线 0531-76512345", manager="杨红霞",
                opening_hours="周一至周五 8:30—17:30，周六 9:00—12:00", activity_day="每月10日", founded_on=date(2021, 3, 1),
            )
            session.add(station)
        station_id = station.id
        for name, function in (("理论宣讲室", "理论宣讲"), ("百姓大课堂", "教育服务"), ("文体活动室", "文化活动")):
            session.add(FunctionRoom(id=_uuid(id_rng), station_id=station_id, name=name, function=function, area_m2=rng.choice((40, 60, 80))))
        session.add(ServicePoint(id=_uuid(id_rng), station_id=station_id, name="杨家庄村志愿服务站", kind="志愿服务站", location="党群服务中心一楼"))

        volunteers: list[Volunteer] = []
        used_names: set[str] = set()
        for n in range(1, 76):
            while True:
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
                if name not in used_names:
                    used_names.add(name)
                    break
            female = rng.random() < 0.55
            born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            full, initials = name_keys(name)
            phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            volunteers.append(Volunteer(
                id=_uuid(id_rng), station_id=station_id, number=f"{NUMBER_PREFIX}{n:06d}", name=name, name_pinyin=full, name_initials=initials,
                id_number=_id_number(rng, born, female), gender="女" if female else "男", birth_date=born, phone=phone, phone_tail=phone[-4:],
                political_status=rng.choices(("中共党员", "共青团员", "群众"), (30, 10, 60))[0],
                tags=",".join(rng.sample(TAGS, rng.choice((0, 0, 0, 1, 1, 2)))), skills=rng.choice(SKILLS),
                registered_on=date(2021, 3, 1) + timedelta(days=rng.randrange(0, 365)),
            ))
        session.add_all(volunteers)

        teams: list[tuple[Team, list[Volunteer], int, float]] = []
        for name, category, founded, skipped, rate in TEAMS:
            members = rng.sample(volunteers, rng.randint(10, 18))
            team = Team(id=_uuid(id_rng), station_id=station_id, name=name, category=category, leader_id=members[0].id, founded_on=founded,
                        description=f"{name}立足本村群众需求，常态化开展{category}志愿服务。")
            session.add(team)
            for position, member in enumerate(members):
                session.add(Membership(id=_uuid(id_rng), station_id=station_id, volunteer_id=member.id, team_id=team.id,
                                       role="队长" if position == 0 else "队员", joined_on=max(founded, member.registered_on)))
            teams.append((team, members, skipped, rate))
        session.commit()
        progress(f"已建立实践站、{len(teams)} 支服务队和 {len(volunteers)} 名志愿者")

    counts = {"activities": 0, "participations": 0}
    # The 12 × years months that end with the current one.
    month = date(today.year - years + (today.month == 12), today.month % 12 + 1, 1)
    busy: dict[tuple[str, date], list[tuple[int, int]]] = {}  # (volunteer, day) -> the minutes of its activities
    while month <= today:
        _, month_end = month_range(month.year, month.month)
        months_back = (today.year - month.year) * 12 + today.month - month.month
        with store.session(operator=OPERATOR) as session:
            for team, members, skipped, rate in teams:
                if months_back < skipped:
                    continue
                count = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
                for _ in range(count):
                    day = month + timedelta(days=rng.randrange(0, (month_end - month).days + 1))
                    status = "done" if day <= today else "planned"
                    start = time(rng.choice((8, 9, 14, 15)), rng.choice((0, 30)))
                    end = time(start.hour + rng.choice((1, 2, 3)), start.minute)
                    title = rng.choice(TITLES[team.category])
                    activity = Activity(
                        id=_uuid(id_rng), station_id=station_id, title=title, category=team.category, team_id=team.id, date=day,
                        start_time=start, end_time=end, place=rng.choice(PLACES), organiser=team.name,
                        own_name=rng.random() < 0.85, served_count=rng.randint(8, 80), service_target=rng.choice(("全体村民", "老年人", "青少年", "困难家庭")),
                        content=f"{team.name}在{rng.choice(PLACES)}开展“{title}”活动，志愿者分工协作，群众反响良好。", status=status,
                        family=team.category == "敬老爱老" and rng.random() < 0.1,
                    )
                    session.add(activity)
                    counts["activities"] += 1
                    if status != "done":
                        continue
                    hours = duration_hours(start, end) or 1.0
                    window = (start.hour * 60 + start.minute, end.hour * 60 + end.minute)
                    for member in rng.sample(members, min(len(members), rng.randint(3, 10))):
                        served = hours if rng.random() < 0.8 else max(0.5, hours - 0.5)
                        taken = busy.setdefault((member.id, day), [])
                        if any(a < window[1] and window[0] < b for a, b in taken):  # one person, one place at a time (#26)
                            continue
                        taken.append(window)
                        session.add(Participation(id=_uuid(id_rng), station_id=station_id, activity_id=activity.id,
                                                  volunteer_id=member.id, hours=served, role="志愿者"))
                        counts["participations"] += 1
            session.commit()
        progress(f"已生成 {month.year}年{month.month}月 的活动")
        month = month_end + timedelta(days=1)
    with store.session(operator=OPERATOR) as session:
        # Kept records (二.7, 四.8, 五.4), short on purpose: no 项目计划 on file, one month without a plan.
        session.add(Project(id=_uuid(id_rng), station_id=station_id, name="孝老爱亲·邻里守望", category="特惠性服务", brand=True,
                            description="为空巢、高龄老人提供理发、代购、陪伴等常态化服务。", started_on=date(2022, 3, 1)))
        session.add(Project(id=_uuid(id_rng), station_id=station_id, name="护苗成长课堂", category="普惠性服务",
                            description="假期课业辅导和安全教育。", started_on=date(2023, 7, 1)))
        for kind, title in (("组织架构", "杨家庄村新时代文明实践站组织架构"), ("管理制度", "实践站管理制度和志愿服务制度")):
            session.add(Document(id=_uuid(id_rng), station_id=station_id, kind=kind, title=title, issued_on=date(2022, 3, 1)))
        session.add(ActivityPlan(id=_uuid(id_rng), station_id=station_id, year=today.year, title=f"{today.year}年度文明实践活动计划"))
        for m in range(1, today.month + 1):
            if m != max(1, today.month - 2):
                session.add(ActivityPlan(id=_uuid(id_rng), station_id=station_id, year=today.year, month=m, title=f"{today.year}年{m}月活动计划"))
        session.commit()
    store.forget_station()
    _rewards_and_demands(store, rng, today, teams, busy)
    store.forget_station()
    return DemoResult(station_name=station.name, teams=len(teams), volunteers=len(volunteers), **counts)


def _rewards_and_demands(store: Store, rng: random.Random, today: date, teams, busy: dict | None = None) -> None:
    """Points, the 信用超市 and a 五单 board with a demand in every state (one overdue), through the services."""
    from .models.enums import Role
    from .services import demands, points
    from .services.activities import ParticipantInput
    from .services.context import Actor, Context

    ctx = Context(store, Actor("demo", OPERATOR, Role.admin))
    points.ensure_default_rules(ctx)
    points.settle_activities(ctx, date_to=today)
    rules = {r.name: r for r in points.list_rules(ctx)}
    for head, address, rule in (("杨德明", "杨家庄村东街3号", "评为文明家庭"), ("王秀英", "杨家庄村西街12号", "评为文明家庭"),
                                ("李建国", "杨家庄村南街7号", "好人好事、见义勇为")):
        home = points.save_household(ctx, head=head, address=address, phone=f"135{rng.randrange(10**8):08d}")
        points.add_entry(ctx, points.Holder(household_id=home.id), rule_id=rules[rule].id)
    catalogue = []
    for name, unit, price, stock in (("洗衣粉", "袋", 30, 40), ("食用油", "桶", 120, 10), ("大米", "袋", 100, 15), ("上门理发", "次", 20, 50)):
        goods = points.save_goods(ctx, name=name, unit=unit, price=price)
        points.restock(ctx, goods.id, stock, "乡村振兴资金采购")
        catalogue.append(goods)
    for account in points.accounts(ctx)[:6]:
        points.redeem(ctx, account.holder, rng.choice(catalogue[:1] + catalogue[3:]).id)

    (team_a, members_a), (team_b, members_b) = teams[1][:2], teams[2][:2]
    asks = (
        ("刘桂兰", "独居老人家中水管漏水，需要帮忙维修", "便民服务", 20, "rewarded"),
        ("陈玉梅", "想学习使用智能手机挂号", "科学普及", 12, "rated"),
        ("赵永军", "孩子暑假作业需要辅导", "关爱未成年人", 6, "taken"),
        ("孙凤芝", "老伴卧床，需要上门理发", "敬老爱老", 12, "dispatched"),  # overdue on purpose
        ("周海燕", "村西头路灯不亮，希望反映修理", "便民服务", 3, "rejected"),
        ("吴德明", "家中老人需要陪同就医", "敬老爱老", 0, "ordered"),
    )
    for requester, content, category, days_ago, target in asks:
        received = today - timedelta(days=days_ago)
        demand = demands.record_demand(ctx, requester=requester, contact=f"139{rng.randrange(10**8):08d}", content=content,
                                       category=category, address="杨家庄村", received_on=received,
                                       due_on=received + timedelta(days=7))
        if target == "ordered":
            continue
        if target == "rejected":
            demands.reject(ctx, demand.id, "属于村委会职责，已转交村委会办理")
            continue
        demands.approve(ctx, demand.id)
        team, members = (team_a, members_a) if category == "敬老爱老" or days_ago > 15 else (team_b, members_b)
        demands.dispatch(ctx, demand.id, team_id=team.id, volunteer_id=members[0].id)
        if target == "dispatched":
            continue
        demands.take(ctx, demand.id)
        if target == "taken":
            continue
        done_on = received + timedelta(days=2)
        free = [m for m in members if not any(a < 630 and 540 < b for a, b in (busy or {}).get((m.id, done_on), []))]  # 09:00–10:30
        chosen = (free or members)[:2]
        demands.complete(ctx, demand.id, date_done=done_on, start_time="09:00", end_time="10:30",
                         participants=[ParticipantInput(m.id, 1.5) for m in chosen])
        for m in chosen:
            (busy if busy is not None else {}).setdefault((m.id, done_on), []).append((540, 630))
        demands.rate(ctx, demand.id, rating=5, feedback="服务及时，非常满意", method="回访")
        if target == "rewarded":
            demands.reward(ctx, demand.id, note="列入本月好人好事")
