"""Which characters the program can print: the union of the bundled fonts (resources/fonts, the same two the
printed binders embed). A form accepts only text every PDF can show (#26: 王😀 printed as 王)."""

from __future__ import annotations

import unicodedata
from functools import cache

# Certainly in WenQuanYi Micro Hei (checked against its cmap in tests/test_text_kept.py): answered without
# loading the fonts, so an ordinary save never waits the 0.8 s their first reading takes.
_SURELY = ((0x20, 0x7E), (0x4E00, 0x9FA5), (0x3000, 0x3003), (0x3005, 0x3019), (0xFF01, 0xFF5E),  # 、。《》「」【】〔〕
           (0x2018, 0x2019), (0x201C, 0x201D), (0x2014, 0x2014), (0x2026, 0x2026), (0xB7, 0xB7), (0xD7, 0xD7))  # ‘’“”—…·×


def _surely_printable(code: int) -> bool:
    return any(low <= code <= high for low, high in _SURELY)


@cache
def coverage() -> frozenset[int]:
    from .reports.common import register_fonts  # reportlab: loaded only for a character outside the common ranges

    main, fallback = register_fonts()
    return main | fallback


def control_character(text: str, *, multiline: bool) -> str | None:
    """The first control character ``text`` holds (tab and line breaks allowed where a field takes several
    lines), e.g. the \\x0b that Word's Shift+Enter leaves in pasted text; None if there is none."""
    for ch in text:
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in "\t\n\r"):
            return ch
    return None


def unprintable(text: str) -> str | None:
    """The first character of ``text`` no bundled font can draw (an emoji, a symbol), or None."""
    for ch in text:
        code = ord(ch)
        if _surely_printable(code) or unicodedata.category(ch) == "Cc":
            continue
        if code not in coverage():
            return ch
    return None
