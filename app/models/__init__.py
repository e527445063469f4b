"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from .activity import Activity, Participation, Photo
from .base import SyncedBase, UTCDateTime, new_id, utcnow
from .hours import VolunteerHours, VolunteerYearHours
from .outbox import OutboxEntry
from .people import Membership, Team, Volunteer
from .station import CertificateRecord, FunctionRoom, Operator, PersonalDataView, ServicePoint, Station, StationKey
from .sync import Announcement, SyncRun, SyncState, VolunteerElsewhere
from .rewards import Demand, DemandEvent, DemandHop, DistrictDispatch, Goods, Household, PointEntry, PointRule, StockMove
from .work import ActivityPlan, Document, Project, ProjectTeam, Training

SYNCED_MODELS: tuple[type[SyncedBase], ...] = (
    Station,
    FunctionRoom,
    ServicePoint,
    Volunteer,
    Team,
    Membership,
    Project,
    ProjectTeam,
    Activity,
    Participation,
    Photo,
    Training,
    Document,
    ActivityPlan,
    Household,
    PointRule,
    Demand,
    DemandEvent,
    DemandHop,
    PointEntry,
    Goods,
    StockMove,
)

__all__ = [
    "CertificateRecord",
    "StationKey",
    "PersonalDataView",
    "VolunteerHours",
    "VolunteerYearHours",
    "Demand",
    "DemandEvent",
    "DemandHop",
    "DistrictDispatch",
    "Goods",
    "Household",
    "PointEntry",
    "PointRule",
    "StockMove",
    "Activity",
    "ActivityPlan",
    "Document",
    "Project",
    "ProjectTeam",
    "Training",
    "Announcement",
    "SyncRun",
    "SyncState",
    "FunctionRoom",
    "Membership",
    "Operator",
    "OutboxEntry",
    "Participation",
    "Photo",
    "ServicePoint",
    "Station",
    "SYNCED_MODELS",
    "SyncedBase",
    "Team",
    "UTCDateTime",
    "Volunteer",
    "VolunteerElsewhere",
    "new_id",
    "utcnow",
]
