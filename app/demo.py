"""A realistic demo station, the same for the same seed (rows made through the services get fresh ids).

A station is short of some quotas on purpose (a team that skipped recent months, a
young team with too few activities, too few volunteers for the population,
too few 理论政策宣讲 in the station's own name this year) so that the
self-check has something to find.
Each month is committed on its own: a run killed half-way leaves a consistent,
smaller station.

``build_demo_district`` makes the district's three tiers the same way (#30): the 中心 with its 17 teams and
five brand projects, a 所 in each of two 街道 with five teams, three brand projects and its own activities,
and three stations under each 所 — nine ledgers, each in its own data directory.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

from sqlmodel import col, select

from .db import Store
from .models import (Activity, ActivityPlan, Document, FunctionRoom, Membership, Participation, Project, ServicePoint, Station, Team,
                     Training, Volunteer)
from .models.enums import TEAM_CATEGORIES, StationLevel, station_level
from .services.activities import duration_hours, month_range
from .services.errors import ServiceError
from .services.idcard import check_char
from .services.pinyin import name_keys
from .services.volunteers import NUMBER_PREFIX

# The login of a demo (app/demo_account.py; printed by `station demo`, shown by the wizard and the demo's login box):
# made-up data, so a known password is no risk, and the store opens at the login box rather than the first-run wizard.
from .demo_account import DEMO_ADMIN, DEMO_PASSWORD

OPERATOR = "示范数据"
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
    # the other twelve of 三.2's seventeen, for the 中心's teams
    "社科普及惠民": ["社科知识进社区", "家风家训讲座", "优秀传统文化大讲堂"],
    "助学支教": ["爱心助学金发放", "周末公益课堂", "乡村学校支教"],
    "医疗健身": ["义诊进社区", "健康知识讲座", "全民健身指导"],
    "科学普及": ["科普大篷车进校园", "防灾减灾科普宣传", "智能手机使用培训"],
    "法律服务": ["法律咨询进万家", "民法典宣讲", "防范电信诈骗宣传"],
    "扶难解困": ["困难群众走访慰问", "爱心物资发放", "残疾人帮扶"],
    "文明倡导": ["文明交通劝导", "文明餐桌宣传", "文明祭扫倡议"],
    "心理关爱": ["心理健康讲座", "青少年心理疏导", "老年人心理陪伴"],
    "应急救援": ["应急救护培训", "防汛应急演练", "消防安全宣传"],
    "便民服务": ["家电义务维修", "便民理发", "代缴代办服务"],
    "美德健康生活方式": ["厨房革命宣传", "健康生活方式讲座", "邻里节"],
    "移风易俗": ["婚事新办倡议", "丧事简办宣传", "移风易俗文艺演出"],
}
# Titles that belong to a season: a demo 重阳节 dinner in December read as a mistake (#30). Out of season, the next
# title of the category in season is taken instead (no extra draw: the same seed still makes the same data).
SEASONS = {"重阳节敬老饺子宴": (10,), "暑期课业辅导": (7, 8), "村晚排练": (12, 1, 2), "防溺水安全教育": (5, 6, 7, 8),
           "文明祭扫倡议": (3, 4), "防汛应急演练": (5, 6, 7, 8)}


def in_season(titles: list[str], picked: str, month: int) -> str:
    start = titles.index(picked)
    for title in titles[start:] + titles[:start]:
        if month in SEASONS.get(title, (month,)):
            return title
    return picked


PLACES = ("村党群服务中心", "新时代文明实践站广场", "村文化礼堂", "农家书屋", "村卫生室", "村委会会议室")
COMMUNITY_PLACES = ("社区党群服务中心", "新时代文明实践站广场", "社区文化活动室", "社区书屋", "社区卫生服务站", "社区议事厅")
SKILLS = ("理发", "文艺表演", "医疗护理", "法律咨询", "电工维修", "书法绘画", "农业技术", "课业辅导", "")
TAGS = ("五老", "乡土人才", "返乡创业", "科技能人", "身边好人")


STATION_PROJECTS = (
    # name, category, brand, description, started_on
    ("孝老爱亲·邻里守望", "特惠性服务", True, "为空巢、高龄老人提供理发、代购、陪伴等常态化服务。", date(2022, 3, 1)),
    ("护苗成长课堂", "普惠性服务", False, "假期课业辅导和安全教育。", date(2023, 7, 1)),
)


@dataclass(frozen=True)
class DemoProfile:
    """One demo ledger: its tier, name and place, its teams (name, category, founded, skipped_recent_months,
    monthly_rate) and projects. The default is the one demo station `station demo` makes."""
    name: str = "艾山街道杨家庄村新时代文明实践站"
    level: str = "station"
    kind: str = "village"
    street: str = "艾山街道"
    place: str = "杨家庄村"  # the village, community, street or district its rows name
    home: str = "本村"  # whose needs its teams serve, in a team's description
    population: int | None = 1260
    address: str = "济南市钢城区艾山街道杨家庄村党群服务中心"
    phone: str = "0531-76512345"
    manager: str = "杨红霞"  # 三.1: a 所 names two or more, the 中心 five or more, separated by “、”
    founded_on: date = date(2021, 3, 1)
    volunteers: int = 75
    teams: tuple = TEAMS
    projects: tuple = STATION_PROJECTS
    places: tuple = PLACES
    audience: tuple = ("全体村民", "老年人", "青少年", "困难家庭")
    own_name_share: float = 0.85  # a 所's and the 中心's activities are all in their own name
    project_plan: bool = False  # a station is short of its 项目计划 on purpose
    plan_gap: bool = True  # and of one month's plan
    trainings: int = 0  # 三.3: the 中心's 集中专业培训 a year
    folder: str = ""  # its data directory under a demo district

    @property
    def tier(self) -> StationLevel:
        return station_level(self.level)


@dataclass
class DemoResult:
    station_name: str
    teams: int
    volunteers: int
    activities: int
    participations: int
    brand_projects: int = 0


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _id_number(rng: random.Random, born: date, female: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
    first17 = f"{REGION}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def build_demo(store: Store, *, years: int = 1, seed: int = 2022, today: date | None = None, ids_seed: int | None = None,
               progress: Callable[[str], None] = lambda _m: None, profile: DemoProfile = DemoProfile()) -> DemoResult:
    """The same content for the same ``seed``; row ids (the station's id among them) from ``ids_seed``,
    random by default: two demo stores are two stations to the district, never one enrolled twice.
    ``profile``: which ledger — the demo station by default, or a 所 or the 中心 of a demo district."""
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
            p = profile
            station = Station(
                id=station_id, station_id=station_id, name=p.name, level=p.level, kind=p.kind, street=p.street, population=p.population,
                address=p.address, phone=p.phone, contact=f"{p.place}文明实践{p.tier.label}志愿服务热线 {p.phone}", manager=p.manager,
                opening_hours="周一至周五 8:30—17:30，周六 9:00—12:00", activity_day="每月10日", founded_on=p.founded_on,
            )
            session.add(station)
        station_id = station.id
        for name, function in (("理论宣讲室", "理论宣讲"), ("百姓大课堂", "教育服务"), ("文体活动室", "文化活动")):
            session.add(FunctionRoom(id=_uuid(id_rng), station_id=station_id, name=name, function=function, area_m2=rng.choice((40, 60, 80))))
        session.add(ServicePoint(id=_uuid(id_rng), station_id=station_id, name=f"{profile.place}志愿服务站", kind="志愿服务站", location="党群服务中心一楼"))

        volunteers: list[Volunteer] = []
        used_names: set[str] = set()
        for n in range(1, profile.volunteers + 1):
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
        for name, category, founded, skipped, rate in profile.teams:
            members = rng.sample(volunteers, rng.randint(10, 18))
            team = Team(id=_uuid(id_rng), station_id=station_id, name=name, category=category, leader_id=members[0].id, founded_on=founded,
                        description=f"{name}立足{profile.home}群众需求，常态化开展{category}志愿服务。")
            session.add(team)
            for position, member in enumerate(members):
                session.add(Membership(id=_uuid(id_rng), station_id=station_id, volunteer_id=member.id, team_id=team.id,
                                       role="队长" if position == 0 else "队员", joined_on=max(founded, member.registered_on)))
            teams.append((team, members, skipped, rate))
        session.commit()
        progress(f"已建立{profile.tier.unit}、{len(teams)} 支服务队和 {len(volunteers)} 名志愿者")

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
                for n in range(count):
                    day = month + timedelta(days=rng.randrange(0, (month_end - month).days + 1))
                    if months_back == 0 and n == 0 and day > today:
                        # A team's first activity of this month is already held (a demo made on the 7th showed
                        # 本月活动 0, every team 有风险); the same draw folded into the days so far.
                        day = month + timedelta(days=(day - month).days % today.day)
                    status = "done" if day <= today else "planned"
                    start = time(rng.choice((8, 9, 14, 15)), rng.choice((0, 30)))
                    end = time(start.hour + rng.choice((1, 2, 3)), start.minute)
                    title = in_season(TITLES[team.category], rng.choice(TITLES[team.category]), day.month)
                    place = rng.choice(profile.places)
                    own_name, served_count, audience = rng.random() < profile.own_name_share, rng.randint(8, 80), rng.choice(profile.audience)
                    rng.choice(profile.places)  # the draw the content's own place took (it named another place than 地点, a trial)
                    activity = Activity(
                        id=_uuid(id_rng), station_id=station_id, title=title, category=team.category, team_id=team.id, date=day,
                        start_time=start, end_time=end, place=place, organiser=team.name,
                        own_name=own_name, served_count=served_count, service_target=audience,
                        content=f"{team.name}在{place}开展“{title}”活动，志愿者分工协作，群众反响良好。", status=status,
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
        # Kept records (二.7, 四.8, 五.4); a station's are short on purpose: no 项目计划 on file, one month without a plan.
        unit = profile.tier.unit
        for name, category, brand, description, started_on in profile.projects:
            session.add(Project(id=_uuid(id_rng), station_id=station_id, name=name, category=category, brand=brand,
                                description=description, started_on=started_on))
        documents = [("组织架构", f"{profile.place}{profile.tier.full_name}组织架构"), ("管理制度", f"{unit}管理制度和志愿服务制度")]
        if profile.project_plan:
            documents.append(("项目计划", f"{today.year}年度{unit}志愿服务项目计划"))
        for kind, title in documents:
            session.add(Document(id=_uuid(id_rng), station_id=station_id, kind=kind, title=title, issued_on=date(2022, 3, 1)))
        for n in range(profile.trainings):
            session.add(Training(id=_uuid(id_rng), station_id=station_id, title=f"{today.year}年第{n + 1}期志愿服务骨干集中培训",
                                 date=date(today.year, 1 + n * 5, 20), place=rng.choice(profile.places), trainees=rng.randint(60, 120),
                                 centralized=True, content="志愿服务理念、项目设计和安全常识"))
        session.add(ActivityPlan(id=_uuid(id_rng), station_id=station_id, year=today.year, title=f"{today.year}年度文明实践活动计划"))
        for m in range(1, today.month + 1):
            if m != max(1, today.month - 2) or not profile.plan_gap:
                session.add(ActivityPlan(id=_uuid(id_rng), station_id=station_id, year=today.year, month=m, title=f"{today.year}年{m}月活动计划"))
        session.commit()
    store.forget_station()
    _rewards_and_demands(store, rng, today, teams, busy, profile)
    store.forget_station()
    return DemoResult(station_name=station.name, teams=len(teams), volunteers=len(volunteers),
                      brand_projects=sum(1 for p in profile.projects if p[2]), **counts)


def _rewards_and_demands(store: Store, rng: random.Random, today: date, teams, busy: dict | None = None,
                         profile: DemoProfile = DemoProfile()) -> None:
    """Points, the 信用超市 and a 五单 board with a demand in every state (one overdue), through the services."""
    from .models.enums import Role
    from .services import demands, points
    from .services.activities import ParticipantInput
    from .services.context import Actor, Context

    ctx = Context(store, Actor("demo", OPERATOR, Role.admin))
    points.ensure_default_rules(ctx)
    points.settle_activities(ctx, date_to=today)
    rules = {r.name: r for r in points.list_rules(ctx)}
    place = profile.place
    for head, address, rule in (("杨德明", f"{place}东街3号", "评为文明家庭"), ("王秀英", f"{place}西街12号", "评为文明家庭"),
                                ("李建国", f"{place}南街7号", "好人好事、见义勇为")):
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
    asks = [
        ("刘桂兰", "独居老人家中水管漏水，需要帮忙维修", "便民服务", 20, "rewarded"),
        ("陈玉梅", "想学习使用智能手机挂号", "科学普及", 12, "rated"),
        ("赵永军", "孩子假期作业需要辅导", "关爱未成年人", 6, "taken"),
        ("孙凤芝", "老伴卧床，需要上门理发", "敬老爱老", 12, "dispatched"),  # overdue on purpose
        ("周海燕", "村西头路灯不亮，希望反映修理", "便民服务", 3, "rejected"),
        ("吴德明", "家中老人需要陪同就医", "敬老爱老", 0, "ordered"),
    ]
    if profile.folder:  # a demo district's ledger: its own residents and needs, not the demo station's nine times over
        asks = [(requester, content, category, days_ago + rng.randint(-2, 2) if days_ago > 2 else days_ago, target)
                for (requester, content, category), (_r, _c, _k, days_ago, target)
                in zip(rng.sample(DISTRICT_ASKS, len(asks)), asks, strict=True)]
        if rng.random() < 0.5:  # about half of them have a demand past its deadline, not every one
            asks = [a if a[4] != "dispatched" else (*a[:3], 4, a[4]) for a in asks]
    asks.sort(key=lambda a: -a[3])  # numbered in the order they came in
    for requester, content, category, days_ago, target in asks:
        received = today - timedelta(days=days_ago)
        demand = demands.record_demand(ctx, requester=requester, contact=f"139{rng.randrange(10**8):08d}", content=content,
                                       category=category, address=place, received_on=received,
                                       due_on=received + timedelta(days=7))
        if target == "ordered":
            continue
        if target == "rejected":
            demands.reject(ctx, demand.id, "属于村委会职责，已转交村委会办理" if profile.kind == "village" else "不属于志愿服务范围，已转交有关部门办理")
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


DISTRICT_ASKS = (
    ("刘桂兰", "独居老人家中水管漏水，需要帮忙维修", "便民服务"), ("陈玉梅", "想学习使用智能手机挂号", "科学普及"),
    ("赵永军", "孩子假期作业需要辅导", "关爱未成年人"), ("孙凤芝", "老伴卧床，需要上门理发", "敬老爱老"),
    ("周海燕", "路灯不亮，希望反映修理", "便民服务"), ("吴德明", "家中老人需要陪同就医", "敬老爱老"),
    ("王秀英", "想给孙子报名周末公益课堂", "关爱未成年人"), ("李建国", "家里电饭锅坏了，想请人看看", "便民服务"),
    ("张淑珍", "腿脚不便，想请人代买常用药", "敬老爱老"), ("马东升", "想了解新农合报销政策", "理论政策宣讲"),
    ("高玉兰", "希望有人教跳广场舞", "文化文艺服务"), ("郑志刚", "楼道堆放杂物，希望组织清理", "卫生环保"),
)


# -- a demo district: the 中心, a 所 in each of two 街道, three stations under each (#30) --------------------

DISTRICT = "钢城区"
CENTER_PROJECTS = (
    ("钢城红·理论宣讲进万家", "理论政策宣讲", True, "组织百姓名嘴、五老宣讲员进村入户，用身边事讲透党的创新理论。", date(2021, 6, 1)),
    ("爱心送考·助力高考", "服务中心大局", True, "高考期间为考生提供爱心送考、咨询引导和应急服务。", date(2021, 6, 1)),
    ("银龄关怀·孝老爱亲", "特惠性服务", True, "为全区高龄、空巢老人提供上门理发、健康义诊和陪伴服务。", date(2021, 9, 1)),
    ("文明新风·移风易俗", "社会热点", True, "倡导婚事新办、丧事简办，开展移风易俗文艺巡演。", date(2022, 3, 1)),
    ("应急先锋·平安钢城", "应急服务", True, "组织应急救援志愿服务队开展防汛、消防演练和应急救护培训。", date(2022, 5, 1)),
    ("志愿服务骨干培训", "其他常规", False, "每年两期集中专业培训。", date(2022, 1, 1)),
)
INSTITUTE_TEAMS = (
    # a 所's own five (三.2), each active every month: 理论政策宣讲 first, for 四.8's lectures
    ("理论宣讲志愿服务队", "理论政策宣讲", date(2021, 4, 1), 0, 1.4),
    ("文化文艺志愿服务队", "文化文艺服务", date(2021, 4, 1), 0, 1.3),
    ("敬老爱老志愿服务队", "敬老爱老", date(2021, 5, 1), 0, 1.5),
    ("卫生环保志愿服务队", "卫生环保", date(2021, 6, 1), 0, 1.2),
    ("法律服务志愿服务队", "法律服务", date(2021, 9, 1), 0, 1.1),
)
COMMUNITY_TEAMS = tuple((name.replace("村民", "居民").replace("庭院", "楼院"), *rest) for name, *rest in TEAMS)


def _institute(street: str, kind: str, phone: str, manager: str, brands: tuple[str, str, str], folder: str) -> DemoProfile:
    short = street.removesuffix("街道")
    return DemoProfile(
        name=f"{street}新时代文明实践所", level="institute", kind=kind, street=street, place=street, home="本街道", population=None,
        address=f"济南市{DISTRICT}{street}党群服务中心", phone=phone, manager=manager, founded_on=date(2021, 1, 1), volunteers=110,
        teams=tuple((f"{short}{name}", *rest) for name, *rest in INSTITUTE_TEAMS),
        projects=(
            (brands[0], "理论政策宣讲", True, f"{street}理论宣讲品牌，宣讲员进村入户开展微宣讲。", date(2021, 6, 1)),
            (brands[1], "特惠性服务", True, "为辖区困难家庭和老人提供常态化志愿服务。", date(2022, 3, 1)),
            (brands[2], "普惠性服务", True, "组织辖区志愿者开展环境整治和文明倡导。", date(2022, 9, 1)),
            ("周末公益课堂", "普惠性服务", False, "周末为青少年开设书法、手工等公益课程。", date(2023, 6, 1)),
        ),
        places=(f"{street}新时代文明实践所", f"{street}党群服务中心", f"{street}综合文化站", "辖区广场"),
        audience=("辖区群众", "老年人", "青少年", "困难家庭"), own_name_share=1.0, project_plan=True, plan_gap=False, folder=folder,
    )


def _station(street: str, place: str, kind: str, population: int, phone: str, manager: str, folder: str) -> DemoProfile:
    village = kind == "village"
    return DemoProfile(
        name=f"{street}{place}新时代文明实践站", kind=kind, street=street, place=place, home="本村" if village else "本社区",
        population=population, address=f"济南市{DISTRICT}{street}{place}党群服务中心", phone=phone, manager=manager,
        teams=TEAMS if village else COMMUNITY_TEAMS, places=PLACES if village else COMMUNITY_PLACES,
        audience=("全体村民" if village else "社区居民", "老年人", "青少年", "困难家庭"), folder=folder,
    )


DISTRICT_PROFILES: tuple[DemoProfile, ...] = (
    DemoProfile(
        name=f"{DISTRICT}新时代文明实践中心", level="center", kind="", street="", place=DISTRICT, home="全区", population=None,
        address=f"济南市{DISTRICT}新时代文明实践中心", phone="0531-76500001", manager="刘建华、张晓东、陈丽娟、赵卫东、孙明辉",
        founded_on=date(2020, 12, 1), volunteers=200,
        # 三.2: the seventeen categories, one team each, every one active each month
        teams=tuple((f"{DISTRICT}{category}志愿服务队", category, date(2021, 1, 1), 0, 1.0 + (n % 4) * 0.15)
                    for n, category in enumerate(TEAM_CATEGORIES)),
        projects=CENTER_PROJECTS, places=(f"{DISTRICT}新时代文明实践中心", f"{DISTRICT}文化馆", f"{DISTRICT}图书馆", f"{DISTRICT}全民健身中心"),
        audience=("全区群众", "老年人", "青少年", "困难家庭"), own_name_share=1.0, project_plan=True, plan_gap=False, trainings=2,
        folder="01-区中心",
    ),
    _institute("艾山街道", "village", "0531-76510001", "王立新、李春燕", ("艾山红·理论微宣讲", "孝善艾山·邻里守望", "美丽艾山·洁净家园"), "02-艾山街道实践所"),
    DemoProfile(folder="03-艾山街道杨家庄村"),  # the demo station of `station demo`
    _station("艾山街道", "北王庄村", "village", 980, "0531-76512346", "王淑珍", "04-艾山街道北王庄村"),
    _station("艾山街道", "南岭村", "village", 1530, "0531-76512347", "张志强", "05-艾山街道南岭村"),
    _institute("汶源街道", "community", "0531-76520001", "赵文华、周丽娟", ("汶源先锋·宣讲直通车", "暖心汶源·银龄守护", "文明汶源·志愿同行"), "06-汶源街道实践所"),
    _station("汶源街道", "府前社区", "community", 4200, "0531-76522341", "郭海燕", "07-汶源街道府前社区"),
    _station("汶源街道", "金水河社区", "community", 3600, "0531-76522342", "马国庆", "08-汶源街道金水河社区"),
    _station("汶源街道", "双泉社区", "community", 5100, "0531-76522343", "罗佳怡", "09-汶源街道双泉社区"),
)


@dataclass
class DemoLedger:
    """One ledger of a demo district: its data directory and what was made in it."""
    path: Path
    profile: DemoProfile
    result: DemoResult


def make_demo_login(store: Store, display_name: str = "示范站管理员") -> None:
    """The demo's known login (made-up data) and the 示范 mark: the app shows its banner, enrolling asks first."""
    from .services import operators
    from .settings import Settings

    settings = Settings(store.paths.settings)
    settings.set("is_demo", True)
    if not operators.has_operators(store):
        operators.create_first_admin(store, username=DEMO_ADMIN, display_name=display_name, password=DEMO_PASSWORD)
        settings.set("demo_login_known", True)  # the login box may say it (a demo made with a login of its own does not)


def build_demo_district(root: Path, *, years: int = 1, seed: int = 2022, today: date | None = None, ids_seed: int | None = None,
                        progress: Callable[[str], None] = lambda _m: None) -> list[DemoLedger]:
    """Nine demo ledgers under ``root`` (one data directory each, named in DISTRICT_PROFILES): the same content
    for the same ``seed``, each ledger its own ids (random unless ``ids_seed``). ``root`` must be new or empty."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise ServiceError(f"目录“{root}”不是空的，示范区只能在新的空目录中生成")
    ledgers = []
    for n, profile in enumerate(DISTRICT_PROFILES):
        path = root / profile.folder
        with Store.open(path, create=True) as store:
            result = build_demo(store, years=years, seed=seed + n, today=today, profile=profile,
                                ids_seed=None if ids_seed is None else ids_seed + n)
            make_demo_login(store, f"示范{profile.tier.label}管理员")
        ledgers.append(DemoLedger(path, profile, result))
        progress(f"已生成{profile.name}：服务队 {result.teams} 支，品牌项目 {result.brand_projects} 个，活动 {result.activities} 次")
    shared = share_people(ledgers, random.Random(seed), today or date.today())
    progress(f"已在两个台账登记同一志愿者 {shared} 人（含迁移 1 人）")
    return ledgers


# One person across ledgers (#30): (from, to, how many, moved) by index in DISTRICT_PROFILES. Volunteers of 杨家庄村 who
# also serve in 北王庄村 and at 艾山街道's 所; one of 府前社区 also registered at 南岭村 (another 街道); one of 南岭村 who
# moved to 双泉社区 three months ago (迁移: registered there, kept at 南岭村 with a note, as docs/people.md says).
SHARED_PEOPLE = ((2, 3, 2, False), (2, 1, 1, False), (6, 4, 1, False), (4, 8, 1, True))


def share_people(ledgers: list[DemoLedger], rng: random.Random, today: date) -> int:
    """Register some volunteers of one demo ledger in another as well, each with a few activities there."""
    from .services import volunteers as volunteer_service
    from .services.context import Context

    taken: dict[int, set[str]] = {}
    count = 0
    for source, target, how_many, moved in SHARED_PEOPLE:
        with Store.open(ledgers[source].path, create=False) as store:
            with store.session() as session:
                live = list(session.exec(select(Volunteer).where(Volunteer.deleted == False)
                                         .order_by(Volunteer.number)))
            chosen = rng.sample([v for v in live if v.id not in taken.setdefault(source, set())], how_many)
            taken[source].update(v.id for v in chosen)
            if moved:
                for v in chosen:
                    volunteer_service.update_volunteer(Context(store=store), v.id,
                                                       note=f"已迁往{ledgers[target].profile.place}")
        with Store.open(ledgers[target].path, create=False) as store:
            ctx = Context(store=store)
            for v in chosen:
                registered = today - timedelta(days=90) if moved else v.registered_on
                here = volunteer_service.add_volunteer(
                    ctx, name=v.name, id_number=v.id_number, phone=v.phone, political_status=v.political_status,
                    skills=v.skills, registered_on=registered,
                    note=f"原在{ledgers[source].profile.place}" if moved else "")
                with store.session(operator=OPERATOR) as session:
                    done = session.exec(select(Activity).where(
                        Activity.deleted == False, Activity.status == "done",
                        Activity.date >= registered).order_by(col(Activity.date), col(Activity.id)))
                    days = list({a.date: a for a in done}.values())  # one activity a day: never two at once (#26)
                    for activity in rng.sample(days, min(len(days), 4 if moved else 3)):
                        hours = duration_hours(activity.start_time, activity.end_time) or 1.0
                        session.add(Participation(station_id=here.station_id, activity_id=activity.id,
                                                  volunteer_id=here.id, hours=hours, role="志愿者"))
                    session.commit()
                count += 1
    return count
