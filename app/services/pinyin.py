"""Search keys for Chinese names: full pinyin and initials, so `zs` finds 张三."""

from __future__ import annotations



def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials), lowercase ASCII."""
    # Imported here: pypinyin's dictionaries take a third of a second to load,
    # and only writing a name needs them — not opening the app.
    from pypinyin import Style, lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default") if s.strip()]
    syllables = ["".join(ch for ch in s if ch.isalnum()) for s in syllables]
    syllables = [s for s in syllables if s]
    return "".join(syllables), "".join(s[0] for s in syllables)
