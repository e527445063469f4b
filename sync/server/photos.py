"""Where the district keeps the stations' photos: in the database by default (every server process and a
pg_dump see them), or in a folder every process shares (``--files-dir``, e.g. a mounted network volume)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy import exc as sa_exc

from app.files import atomic_output
from app.models.base import utcnow

from .db import stored_file

HEX64 = re.compile(r"[0-9a-f]{64}")


class PhotoStore:
    def __init__(self, engine: Engine, files_dir: Path | None = None):
        self.engine, self.files_dir = engine, files_dir

    def _path(self, sha: str) -> Path:
        # Every caller has checked ``sha`` (a SHA-256 in hex, or the content's own hash); checked again here, where it
        # becomes a path: nothing else may reach the disk.
        if self.files_dir is None or not HEX64.fullmatch(sha):
            raise ValueError("photo path for a value that is not a SHA-256")
        return self.files_dir / sha[:2] / sha

    def has(self, sha: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(stored_file.c.sha256, stored_file.c.data.is_not(None).label("in_db"))
                               .where(stored_file.c.sha256 == sha)).first()
        if row is None:
            return False
        return bool(row.in_db) or (self.files_dir is not None and self._path(sha).exists())

    def put(self, account_id: int, sha: str, data: bytes) -> None:
        """Keep ``data`` (already checked against ``sha``); a photo sent twice, or by two processes at once, is kept once."""
        in_db = self.files_dir is None
        if not in_db:
            path = self._path(sha)
            if not path.exists():  # flushed before it is counted as kept: a station never sends a photo twice
                with atomic_output(path, shared=True) as partial:
                    partial.write_bytes(data)
        try:
            with self.engine.begin() as conn:
                known = conn.execute(select(stored_file.c.sha256, stored_file.c.data.is_not(None).label("in_db"))
                                     .where(stored_file.c.sha256 == sha)).first()
                if known is None:
                    conn.execute(stored_file.insert().values(sha256=sha, size=len(data), account_id=account_id, received_at=utcnow(),
                                                             data=data if in_db else None))
                elif in_db and not known.in_db:  # received before photos moved into the database
                    conn.execute(stored_file.update().where(stored_file.c.sha256 == sha).values(data=data))
        except sa_exc.IntegrityError:
            pass  # stored by a concurrent upload of the same photo

    def get(self, sha: str) -> bytes | None:
        with self.engine.connect() as conn:
            data = conn.execute(select(stored_file.c.data).where(stored_file.c.sha256 == sha)).scalar()
        if data is not None:
            return bytes(data)
        if self.files_dir is not None and self._path(sha).exists():
            return self._path(sha).read_bytes()
        return None

    def thumbnail(self, sha: str, size: int = 240) -> bytes | None:
        return _thumbnail(self, sha, size)


@lru_cache(maxsize=512)
def _thumbnail(store: PhotoStore, sha: str, size: int) -> bytes | None:
    import io

    from PIL import Image, ImageOps

    data = store.get(sha)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
            image.thumbnail((size, size))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
            return out.getvalue()
    except Exception:  # a file that is not a picture gets no thumbnail
        return None
