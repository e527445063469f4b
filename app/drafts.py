"""What a person has typed into a form and not yet saved, kept on disk so that a crash, a power cut or a
killed program loses nothing (#25). No Qt here: ``ui/drafts.py`` captures and restores a form's fields.

One JSON file a form under ``<data dir>/drafts/``, written whole to a temporary file, flushed to the disk
and renamed over the last one, so the file on disk is always a complete draft (the old one or the new one).
Files, not the store: a draft must be written while a settlement or an import holds the store's write lock
for seconds, and a form's draft is nobody else's business (it is never synced).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .files import write_atomically

log = logging.getLogger(__name__)

FOLDER = "drafts"


@dataclass
class Draft:
    form: str  # the form's kind, e.g. "ActivityDialog"
    title: str  # the form's window title as the person saw it (记录活动（复制自“重阳敬老”）)
    operator: str  # the operator's login name
    operator_label: str  # and how the program names them (杨红霞)
    record_id: str | None = None  # the record the form edits, None for a new one
    copy_of: str | None = None  # 复制此活动: the activity it copies
    values: list = field(default_factory=list)  # the form's fields in order (ui/drafts.py)
    extra: dict = field(default_factory=dict)  # what a form keeps beyond plain fields (participants, photos)
    record_version: int | None = None  # the record's version when the form opened: told apart from a newer one at restore
    saved_at: str = ""  # ISO time of the last write
    key: str = ""  # the file's name, kept across writes of the same open form

    @property
    def saved(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.saved_at)
        except ValueError:
            return None


class DraftBox:
    def __init__(self, root: str | os.PathLike[str]):
        self.folder = Path(root) / FOLDER

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def save(self, draft: Draft) -> None:
        """Write ``draft`` so that the file is either the previous draft or this one, even on a power cut."""
        if not draft.key:
            draft.key = self.new_key()
        draft.saved_at = datetime.now().isoformat(timespec="seconds")
        write_atomically(self.path(draft.key), json.dumps(asdict(draft), ensure_ascii=False, default=str))

    def remove(self, key: str) -> None:
        if key:
            self.path(key).unlink(missing_ok=True)
            self.path(key).with_name(self.path(key).name + ".part").unlink(missing_ok=True)

    def pending(self) -> list[Draft]:
        """Every complete draft, oldest first. A file that cannot be read (a half-written ``.part`` is never
        read; a damaged file is moved aside) is logged and skipped: it never stops the program from starting."""
        if not self.folder.is_dir():
            return []
        drafts = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                known = {name: data[name] for name in Draft.__dataclass_fields__ if name in data}
                draft = Draft(**known)
                draft.key = path.stem
            except (OSError, ValueError, TypeError) as exc:
                log.warning("draft %s cannot be read (%s); moved aside", path.name, exc)
                try:
                    path.replace(path.with_suffix(".damaged"))
                except OSError:
                    pass
                continue
            drafts.append(draft)
        return sorted(drafts, key=lambda d: d.saved_at)


# -- did the program end properly last time? ---------------------------------------------------------

RUNNING = "running.json"


def mark_running(root: str | os.PathLike[str]) -> None:
    """Written once the main window is up and removed by a proper exit: found at the next start, it means
    the program ended without closing (a crash, a power cut, a kill)."""
    path = Path(root) / RUNNING
    path.write_text(json.dumps({"pid": os.getpid(), "since": datetime.now().isoformat(timespec="seconds")}), encoding="utf-8")


def mark_stopped(root: str | os.PathLike[str]) -> None:
    (Path(root) / RUNNING).unlink(missing_ok=True)


def ended_unexpectedly(root: str | os.PathLike[str]) -> datetime | None:
    """When the last run that did not end properly started, or None."""
    path = Path(root) / RUNNING
    if not path.exists():
        return None
    try:
        return datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["since"])
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(path.stat().st_mtime)
