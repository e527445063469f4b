"""Writing a file a person asked for (a PDF, a workbook) so that a failure leaves nothing half-written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .services.errors import ServiceError


_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_file_name(name: str, fallback: str = "未命名") -> str:
    """``name`` (a station's, a person's) as part of a file name on Windows and Linux: no folder separators and
    none of the characters Windows refuses; a name of nothing but those (or dots) becomes ``fallback``."""
    return _UNSAFE_IN_NAMES.sub("_", name).strip(" .") or fallback


@contextmanager
def atomic_output(out: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success it replaces ``out``, on any failure it is removed.

    A folder given as ``out`` is refused up front with a message that says what to give instead."""
    out = Path(out)
    if out.is_dir():
        raise ServiceError(f"“{out}”是一个文件夹，请给出文件名，例如 {out / ('输出' + (out.suffix or '.pdf'))}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    try:
        yield partial
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
