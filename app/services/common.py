"""Small helpers shared by the services: text clean-up, dates, loading a row or failing in Chinese."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
from typing import TypeVar

from sqlmodel import Session

from ..models import SyncedBase
from .errors import FieldErrors, NotFound

T = TypeVar("T", bound=SyncedBase)


def clean(text: str | None) -> str:
    """Free text as typed, trimmed: Chinese punctuation and full-width forms are kept (敬老（重阳）：饺子宴
    prints as typed). What text may hold at all is decided in one place, ``app.models.limits`` (control
    characters, characters no bundled font can print), at every flush."""
    if text is None:
        return ""
    return str(text).strip()


def normal(text: str | None) -> str:
    """A number, date, time, phone or code as typed on any keyboard: NFKC-normalised (full-width digits and
    letters become ASCII, １３８ → 138) and trimmed. Never for free text."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


def get_row(session: Session, model: type[T], row_id: str, *, what: str, station_id: str, allow_deleted: bool = False) -> T:
    row = session.get(model, row_id)
    if row is None or row.station_id != station_id or (row.deleted and not allow_deleted):
        raise NotFound(f"找不到该{what}（可能已被删除）")
    return row


MULTILINE = frozenset({"content", "description", "note", "feedback", "reward_note", "address"})  # fields of several lines


def check_length(errors: FieldErrors, field: str, label: str, value: str, limit: int, *, required: bool = False) -> None:
    """A text field as a person entered it: present if required, within its length, and holding only what can
    be kept and printed — checked for every text field of every form and import (#26)."""
    if required and not value:
        errors.add(field, f"请填写{label}")
    elif len(value) > limit:
        errors.add(field, f"{label}不能超过{limit}个字（现在{len(value)}个字）")
    else:
        check_text(errors, field, label, value)


def check_text(errors: FieldErrors, field: str, label: str, value: str) -> None:
    from ..fonts import control_character, unprintable

    if not value:
        return
    control = control_character(value, multiline=field in MULTILINE)
    if control is not None:
        shown = "换行" if control in "\n\r" else f"\\x{ord(control):02x}"
        errors.add(field, f"{label}含有不可见的控制字符（{shown}，常见于从 Word 复制的文字），请删除后再保存")
        return
    odd = unprintable(value)
    if odd is not None:
        errors.add(field, f"{label}中的“{odd}”无法打印（如表情符号），请删除或改用文字")


def check_choice(errors: FieldErrors, field: str, label: str, value: str, choices, *, required: bool = True) -> None:
    if not value:
        if required:
            errors.add(field, f"请选择{label}")
        return
    if value not in choices:
        errors.add(field, f"{label}“{value}”无效，应为：{'、'.join(choices)}")


def parse_date(value: date | str | None, errors: FieldErrors, field: str, label: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = normal(value).replace("/", "-").replace(".", "-")
    for sep in ("年", "月"):
        text = text.replace(sep, "-")
    text = text.rstrip("日")
    try:
        parts = [int(p) for p in text.split("-")]
        return date(*parts)
    except (ValueError, TypeError):
        errors.add(field, f"{label}“{value}”不是有效日期，请按 2026-11-29 的格式填写")
        return None


def parse_int(value, errors: FieldErrors, field: str, message: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    """A whole number within bounds, or None with ``message`` recorded for ``field``."""
    try:
        number = int(normal(str(value)))
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        errors.add(field, message)
        return None
    return number


def parse_phone(value, errors: FieldErrors, field: str) -> str:
    """An optional phone in its canonical form ("" when blank); a bad one is recorded for ``field``."""
    from .phone import PhoneError, normalize_phone

    phone = normal(value)
    if not phone:
        return ""
    try:
        return normalize_phone(phone)
    except PhoneError as exc:
        errors.add(field, str(exc))
        return phone


def parse_time(value: time | str | None, errors: FieldErrors, field: str, label: str) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    text = normal(value).replace("：", ":").replace(".", ":")
    try:
        hour, minute = (int(p) for p in text.split(":"))
        return time(hour, minute)
    except (ValueError, TypeError):
        errors.add(field, f"{label}“{value}”不是有效时间，请按 14:30 的格式填写")
        return None


def format_date(value: date | None) -> str:
    """2026年11月29日 — how dates read everywhere a person looks."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def quoted(text: str) -> str:
    """“text”, its own double quotes made single as Chinese nests them: 参加“‘强国复兴有我’主题宣讲”, not
    参加““强国复兴有我”主题宣讲” (a trial)."""
    return "“" + text.replace("“", "‘").replace("”", "’") + "”"


def format_moment(value: datetime, *, year: bool = True) -> str:
    """2026年12月7日 09:05, in this PC's time: a date as format_date writes it (a trial saw “12月07日” on two pages
    and “12月7日” on the others), and the time; ``year=False``: 12月7日 09:05."""
    local = value.astimezone() if value.tzinfo is not None else value
    day = format_date(local.date()) if year else f"{local.month}月{local.day}日"
    return f"{day} {local:%H:%M}"


def apply_changes(row: SyncedBase, values: dict) -> None:
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def save_row(ctx, model: type[T], row_id: str | None, values: dict, *, what: str, after=None) -> T:
    """Insert (``row_id`` None) or update one of this station's rows with already-validated values;
    ``after(session, row)`` runs in the same transaction (e.g. to set a project's teams)."""
    with ctx.write() as session:
        if row_id is None:
            row = model(station_id=ctx.station_id, **values)
            session.add(row)
        else:
            row = get_row(session, model, row_id, what=what, station_id=ctx.station_id)
            apply_changes(row, values)
        if after is not None:
            session.flush()
            after(session, row)
    return row
