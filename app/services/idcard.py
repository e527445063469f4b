"""Resident ID numbers (GB 11643-1999): normalisation, the MOD 11-2 check, birth date and gender."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes (GB/T 2260) plus 81/82/83 used by residence permits.
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)


class IdNumberError(ValueError):
    """The message names the field (身份证号) and says what is wrong, in Chinese."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    gender: str  # 男 | 女


def normalize(raw: str) -> str:
    """Full-width digits and letters to ASCII, spaces removed, lowercase x to X."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15(number15: str) -> str:
    """A legacy 15-digit number (birth year without century, no check digit) to 18 digits."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


def parse_resident_id(raw: str, *, today: date | None = None) -> ResidentId:
    number = normalize(raw)
    if not number:
        raise IdNumberError("请填写身份证号")
    if len(number) == 15 and number.isdigit():
        number = upgrade_15(number)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(f"身份证号应为18位（最后一位可以是X），现在是{len(number)}位")
    if int(number[:2]) not in PROVINCES:
        raise IdNumberError("身份证号前两位不是有效的省份代码")
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    try:
        born = date(year, month, day)
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期 {year}年{month:02d}月{day:02d}日 不存在") from None
    today = today or date.today()
    if born > today or year < 1800:
        raise IdNumberError(f"身份证号中的出生日期 {year}年{month:02d}月{day:02d}日 不合理")
    if check_char(number[:17]) != number[17]:
        raise IdNumberError("身份证号校验位不正确，请逐位核对号码")
    gender = "男" if int(number[16]) % 2 else "女"
    return ResidentId(number=number, birth_date=born, gender=gender)


def is_valid(raw: str) -> bool:
    try:
        parse_resident_id(raw)
    except IdNumberError:
        return False
    return True
