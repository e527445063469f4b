"""Writing a file the program keeps (a PDF, a workbook, the settings, a reply) so that a failure or a power cut
leaves nothing half-written."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .services.errors import ServiceError


_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_file_name(name: str, fallback: str = "未命名") -> str:
    """``name`` (a station's, a person's) as part of a file name on Windows and Linux: no folder separators and
    none of the characters Windows refuses; a name of nothing but those (or dots) becomes ``fallback``."""
    return _UNSAFE_IN_NAMES.sub("_", name).strip(" .") or fallback


def sync_file(path: Path) -> None:
    """Ask the disk to hold ``path``'s content now (a power cut after this keeps it)."""
    with open(path, "rb+") as f:  # Windows flushes only a handle open for writing
        os.fsync(f.fileno())


def sync_folder(folder: Path) -> None:
    """Ask the disk to hold ``folder``'s entries now (a rename into it survives a power cut). Windows has no handle
    on a folder to flush; NTFS journals the rename itself."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(out: str | Path, *, durable: bool = True, shared: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success it replaces ``out``, on any failure it is removed.

    The one way the program writes a file it keeps (#28): the whole of it is written to ``out``.part, flushed
    to the disk (``durable``), renamed over ``out`` and the rename flushed, so after a crash or a power cut at
    any moment ``out`` is either what it was or all of what was written — never half. ``durable=False`` for a
    file that is only a copy of what the store says (a lost one is made again). ``shared``: other processes may
    write the same file at once (a photo kept by its hash): each writes its own temporary file.

    A folder given as ``out`` is refused up front with a message that says what to give instead."""
    out = Path(out)
    if out.is_dir():
        raise ServiceError(f"“{out}”是一个文件夹，请给出文件名，例如 {out / ('输出' + (out.suffix or '.pdf'))}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + (f".{os.getpid()}.{threading.get_ident()}.part" if shared else ".part"))
    try:
        yield partial
        if durable:
            sync_file(partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if durable:
        sync_folder(out.parent)


def write_atomically(out: str | Path, data: bytes | str, *, durable: bool = True) -> Path:
    """``data`` as the whole of ``out`` (text as UTF-8), by ``atomic_output``."""
    out = Path(out)
    with atomic_output(out, durable=durable) as partial:
        partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return out
