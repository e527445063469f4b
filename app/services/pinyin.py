"""Search keys for Chinese names: full pinyin and initials, so `zs` finds 张三."""

from __future__ import annotations



def load_dictionaries() -> None:
    """Load pypinyin's dictionaries ahead of the first name (the desktop app does it behind its login)."""
    import pypinyin  # noqa: F401 - imported for its side effect: the dictionaries load


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials), lowercase ASCII."""
    # Imported here: pypinyin's dictionaries take a third of a second to load,
    # and only writing a name needs them — not opening the app.
    from pypinyin import Style, lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default") if s.strip()]
    syllables = ["".join(ch for ch in s if ch.isalnum()) for s in syllables]
    syllables = [s for s in syllables if s]
    # Search keys, matched by prefix: cut to the stored length, so that any name that fits its own
    # column (50 characters, e.g. 50 × 庄 = 300 letters of pinyin) also fits with its keys.
    from ..models import Volunteer

    columns = Volunteer.__table__.c  # type: ignore[attr-defined]  # (SQLModel's table, made by its metaclass)
    return "".join(syllables)[: columns.name_pinyin.type.length], "".join(s[0] for s in syllables)[: columns.name_initials.type.length]
