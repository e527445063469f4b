"""Mainland phone numbers: a mobile (11 digits starting 1[3-9]) or a landline with its area code."""

from __future__ import annotations

import re
import unicodedata

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Returns the number in a canonical form, or raises PhoneError with a Chinese message."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(text.split()).replace("—", "-").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    digits_only = text.replace("-", "")
    if MOBILE.match(digits_only):
        return digits_only
    if LANDLINE.match(text):
        return text
    if digits_only.startswith("1"):
        raise PhoneError("联系电话不是有效的手机号：手机号是以1开头的11位数字；固定电话请带区号（如 0531-76543210）")
    raise PhoneError("联系电话应为11位手机号，或带区号的固定电话（如 0531-76543210）")


def phone_tail(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-4:]
