"""Fixed vocabularies of the domain, in the words a 专管员 uses."""

from __future__ import annotations

from enum import StrEnum

# 三.2: the 17 volunteer-team categories, used as the category list everywhere.
TEAM_CATEGORIES: tuple[str, ...] = (
    "理论政策宣讲",
    "文化文艺服务",
    "社科普及惠民",
    "助学支教",
    "医疗健身",
    "科学普及",
    "法律服务",
    "卫生环保",
    "扶难解困",
    "文明倡导",
    "心理关爱",
    "应急救援",
    "便民服务",
    "敬老爱老",
    "关爱未成年人",
    "美德健康生活方式",
    "移风易俗",
)

# 二.7: every venue has ≥3 function rooms with these functions.
ROOM_FUNCTIONS: tuple[str, ...] = ("理论宣讲", "教育服务", "文化活动", "体育健身", "科学普及", "其他")

ID_TYPES: tuple[str, ...] = ("居民身份证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "外国人永久居留身份证", "护照", "其他")
RESIDENT_ID = ID_TYPES[0]

POLITICAL_STATUSES: tuple[str, ...] = ("中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众")
PARTY_STATUSES: frozenset[str] = frozenset({"中共党员", "中共预备党员"})

# 三.2: the people the plan asks stations to draw on.
VOLUNTEER_TAGS: tuple[str, ...] = ("五老", "乡土人才", "科技能人", "返乡创业", "身边好人", "群众性活动带头人", "文明家庭")

MEMBER_ROLES: tuple[str, ...] = ("队长", "副队长", "队员")
PARTICIPANT_ROLES: tuple[str, ...] = ("负责人", "志愿者", "讲师", "后勤")
SERVICE_POINT_KINDS: tuple[str, ...] = ("志愿服务站", "志愿服务点", "志愿服务岗", "家庭站", "文明实践基地")
GENDERS: tuple[str, ...] = ("男", "女")
ACTIVITY_STATUSES: tuple[str, ...] = ("planned", "done")


class StationKind(StrEnum):
    village = "village"
    community = "community"

    @property
    def label(self) -> str:
        return {"village": "村", "community": "社区"}[self.value]


class StationLevel(StrEnum):
    station = "station"  # 村（社区）新时代文明实践站
    institute = "institute"  # 街道（功能区）新时代文明实践所
    center = "center"  # type: ignore[assignment]  # 区新时代文明实践中心 (the tier's name, not str.center)

    @property
    def label(self) -> str:
        return {"station": "站", "institute": "所", "center": "中心"}[self.value]

    # The words a person reads for this tier: a 所's binders say 实践所 and 本所, never 实践站 (二.1–二.3).
    @property
    def unit(self) -> str:
        return f"实践{self.label}"

    @property
    def full_name(self) -> str:
        return f"新时代文明实践{self.label}"

    @property
    def long_name(self) -> str:
        """As the seed names the tier (二.1–二.3)."""
        return {"station": "村（社区）新时代文明实践站", "institute": "街道（功能区）新时代文明实践所",
                "center": "区新时代文明实践中心"}[self.value]

    @property
    def own(self) -> str:
        return f"本{self.label}"

    @property
    def ledger(self) -> str:
        """The program's name on this tier's PC: 实践站台账 / 实践所台账 / 实践中心台账."""
        return f"{self.unit}台账"

    @property
    def name_label(self) -> str:
        return "站点名称" if self is StationLevel.station else f"{self.unit}名称"

    @property
    def info_page(self) -> str:
        return "站点信息" if self is StationLevel.station else f"{self.unit}信息"

    @property
    def has_kind(self) -> bool:
        """村 or 社区 matters for a station and a 所 (四.8: 理论政策宣讲 ≥4 in a 社区, ≥2 in a village); the
        district's center is neither."""
        return self is not StationLevel.center

    @property
    def has_street(self) -> bool:
        """A station and a 所 belong to a 街道（功能区） (二.2–二.3); the district's center to none."""
        return self is not StationLevel.center


def station_level(value: str | None) -> StationLevel:
    """The tier of a station row; an unknown or empty value (an old row) reads as a station."""
    try:
        return StationLevel(value or "station")
    except ValueError:
        return StationLevel.station


def kind_label(level: str | None, kind: str | None) -> str:
    """村 / 社区, or — for the district's center, which is neither."""
    if kind is None or not station_level(level).has_kind or kind not in StationKind.__members__:
        return "—"
    return StationKind(kind).label


class Role(StrEnum):
    admin = "admin"  # everything, full ID numbers, manages operators
    clerk = "clerk"  # data entry
    viewer = "viewer"  # read and print

    @property
    def label(self) -> str:
        return {"admin": "管理员", "clerk": "录入员", "viewer": "查看员"}[self.value]

    @property
    def can_write(self) -> bool:
        return self is not Role.viewer

    @property
    def is_admin(self) -> bool:
        return self is Role.admin

    @property
    def may_reveal_personal_data(self) -> bool:
        """Full ID numbers and phones are masked for every role on screen, in print and in exports;
        an admin may reveal one record on demand (recorded) or export in full (labelled 内部资料)."""
        return self is Role.admin


class ActivityStatus(StrEnum):
    planned = "planned"
    done = "done"

    @property
    def label(self) -> str:
        return {"planned": "计划", "done": "已开展"}[self.value]

# 五.1: the kinds of project the plan asks for.
PROJECT_CATEGORIES: tuple[str, ...] = (
    "理论政策宣讲", "服务中心大局", "普惠性服务", "特惠性服务", "社会热点", "应急服务", "其他常规",
)
PROJECT_STATUSES: dict[str, str] = {"planned": "筹备中", "running": "实施中", "finished": "已结束"}
# 二.7: what a station must have on file.
DOCUMENT_KINDS: tuple[str, ...] = ("组织架构", "管理制度", "项目计划", "其他")

# 三.4: what a points rule is counted on.
POINT_BASES: dict[str, str] = {"hour": "按服务时长（每小时）", "activity": "按参加活动（每次）", "rating": "按评单好评（每单）", "manual": "手工加减分"}
FEEDBACK_METHODS: tuple[str, ...] = ("回访", "问卷", "电话")


class DemandState(StrEnum):
    """Where a demand stands in the 五单 loop (五.2)."""

    ordered = "ordered"  # 点单: recorded, waiting for review
    approved = "approved"  # 审核通过, waiting to be dispatched
    dispatched = "dispatched"  # 派单: given to a team or volunteer
    taken = "taken"  # 接单
    done = "done"  # 服务完成, with its activity record
    rated = "rated"  # 评单
    rewarded = "rewarded"  # 奖单: closed
    rejected = "rejected"  # 不予受理 (with a reason): closed
    cancelled = "cancelled"  # 撤销 (with a reason): closed
    # 五.2 中心（所、站）派单 and 所（站）及时搜集上报群众需求: handed to another tier's ledger, which serves it there.
    # Closed for this tier (neither waiting nor served here); what the other tier does comes back as events.
    passed = "passed"  # 转派: a 所 to one of its street's stations, the 中心 to a 所 or a station
    reported = "reported"  # 上报: a station to its street's 所, a 所 to the 中心

    @property
    def label(self) -> str:
        return DEMAND_STATE_LABELS[self]

    @property
    def closed(self) -> bool:
        return self in (DemandState.rewarded, DemandState.rejected, DemandState.cancelled, DemandState.passed, DemandState.reported)

    @property
    def handed_on(self) -> bool:
        """转派 or 上报: served (or not) by another tier's ledger."""
        return self in (DemandState.passed, DemandState.reported)


DEMAND_STATE_LABELS = {
    DemandState.ordered: "待审核", DemandState.approved: "待派单", DemandState.dispatched: "已派单",
    DemandState.taken: "已接单", DemandState.done: "待评单", DemandState.rated: "待奖单",
    DemandState.rewarded: "已办结", DemandState.rejected: "不予受理", DemandState.cancelled: "已撤销",
    DemandState.passed: "已转派", DemandState.reported: "已上报",
}
