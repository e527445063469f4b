"""The station itself, its rooms and service points, and the people who operate the app."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from .base import SyncedBase, UTCDateTime, new_id, utcnow


class Station(SyncedBase, table=True):
    """The one station this store belongs to (its ``id`` equals its ``station_id``)."""

    name: str = Field(max_length=100)
    level: str = Field(default="station", max_length=16)  # StationLevel
    kind: str = Field(default="village", max_length=16)  # StationKind
    street: str = Field(default="", max_length=100)  # 所属街道（功能区）
    population: int | None = Field(default=None)  # resident population, for 三.2's 15 %
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)  # 志愿服务电话 (二.7)
    contact: str = Field(default="", max_length=500)  # text behind the QR code (二.7)
    opening_hours: str = Field(default="", max_length=200)  # 四.8 常态开放
    activity_day: str = Field(default="", max_length=100)  # 四.8 固定的文明实践活动日
    manager: str = Field(default="", max_length=50)  # 专管员 (三.1)
    founded_on: date | None = Field(default=None)


class FunctionRoom(SyncedBase, table=True):
    __tablename__ = "function_room"

    name: str = Field(max_length=100)
    function: str = Field(max_length=16)  # ROOM_FUNCTIONS
    area_m2: float | None = Field(default=None)
    note: str = Field(default="", max_length=500)


class ServicePoint(SyncedBase, table=True):
    __tablename__ = "service_point"

    name: str = Field(max_length=100)
    kind: str = Field(default="志愿服务站", max_length=16)  # SERVICE_POINT_KINDS
    location: str = Field(default="", max_length=200)
    active: bool = Field(default=True)  # 二.7 "正常发挥作用"
    note: str = Field(default="", max_length=500)


class Operator(SQLModel, table=True):
    """Someone who logs into the app on this PC. Local only: never synced."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username: str = Field(max_length=50, unique=True)
    display_name: str = Field(max_length=50)
    role: str = Field(default="clerk", max_length=16)  # Role
    password_hash: str = Field(max_length=300)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PersonalDataView(SQLModel, table=True):
    """Who saw a person's full ID number or phone, and when (个人信息保护法): screens, prints and exports
    mask them for every role; an admin reveals one record on demand, and each reveal is kept here.
    Local to this PC, never synced."""

    __tablename__ = "personal_data_view"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    operator: str = Field(max_length=50)
    entity: str = Field(max_length=40)  # volunteer / demand / household / export
    row_id: str = Field(default="", max_length=36)
    what: str = Field(max_length=200)  # e.g. 志愿者“王秀英”的证件号码和电话


class CertificateRecord(SQLModel, table=True):
    """证明登记簿: every 志愿服务记录证明 issued, with what it certified and the PDF as printed (kept in
    ``certificates/`` of the data folder), so it can be verified and reprinted identically. Local to
    this station's PC; numbers are allocated under the write lock."""

    __tablename__ = "certificate"

    number: str = Field(primary_key=True, max_length=40)  # ZM-<station code>-<year>-<sequence>
    year: int = Field(index=True)
    seq: int
    volunteer_id: str = Field(max_length=36, index=True)
    volunteer_number: str = Field(max_length=20)
    volunteer_name: str = Field(max_length=50)
    id_masked: str = Field(max_length=40)
    date_from: date
    date_to: date
    hours: float
    activities: int
    issued_on: date
    operator: str = Field(max_length=50)
    full_id: bool = Field(default=False)  # printed with the full ID number (an admin's choice)
    pdf_sha256: str = Field(max_length=64)
    signature: str = Field(default="", max_length=100)  # the station key's signature of the QR payload (app/signing.py)
    revoked_on: date | None = Field(default=None)  # 作废
    revoke_reason: str = Field(default="", max_length=200)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when the district last got it (and its 作废)


class StationKey(SQLModel, table=True):
    """The station's Ed25519 signing key (app/signing.py): one row, made on first use, local, in every backup."""

    __tablename__ = "station_key"

    id: int = Field(default=1, primary_key=True)
    private_key: str = Field(max_length=100)  # base64url of the 32 raw bytes
    public_key: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
