"""Masking of personal data (个人信息保护法): ID numbers and phones, on screen, in print and in logs."""

from __future__ import annotations

import logging
import re

ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
ID15_PATTERN = re.compile(r"(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
MOBILE_PATTERN = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# In free text a mobile may also be written +86 138 1234 5678, 0086-138-1234-5678, 138-1234-5678.
MOBILE_TEXT_PATTERN = re.compile(r"(?<![\d+])((?:(?:\+|00)86[ -]?)?1[3-9]\d)([ -]?)(\d{4})([ -]?)(\d{4})(?!\d)")


def mask_id_number(number: str) -> str:
    """110105********002X: region kept, birth date and sequence hidden."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; the last four digits of a landline hidden."""
    if not phone:
        return ""
    if MOBILE_PATTERN.fullmatch(phone):
        return phone[:3] + "****" + phone[-4:]
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:-4] + "****"


def revealed(ctx, reveal: bool | None) -> bool:
    """Whether personal data is shown in full: masked for every role unless asked (None or False: screens,
    prints and exports); True → in full, for a role that may (an admin), else PermissionDenied."""
    if reveal and not ctx.actor.role.may_reveal_personal_data:
        from .services.errors import PermissionDenied

        raise PermissionDenied("只有管理员可以查看、导出或打印完整的证件号码和电话")
    return bool(reveal)


def redact(text: str) -> str:
    """Mask every ID number and mobile in free text (log lines, error details)."""
    text = ID_PATTERN.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    text = MOBILE_TEXT_PATTERN.sub(lambda m: m.group(1) + m.group(2) + "****" + m.group(4) + m.group(5), text)
    return ID15_PATTERN.sub(lambda m: m.group(1) + "******" + m.group(3), text)


class RedactingFormatter(logging.Formatter):
    """Masks the whole formatted record: the message, and the traceback of ``exc_info`` (which a
    filter never sees, since the formatter renders it later), so no handler writes a full ID or phone."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei) -> str:  # the cached exc_text is masked as well
        return redact(super().formatException(ei))


class RedactingFilter(logging.Filter):
    """Attach to every handler: no record leaves the process with a full ID or phone."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
