"""The district's side of sync by USB stick: check a package whole, apply its batches through the same
per-row path as a network batch (``apply_envelope``), and write the signed reply the station takes back.

Nothing is applied unless the whole package checks out first: the signature over the manifest, then
every member against the manifest's SHA-256 and size. A truncated, tampered or foreign file is refused
with the reason, and the database is untouched."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, select

from app.files import safe_file_name
from app.models.base import utcnow

from .. import protocol
from ..package import (MANIFEST, PACKAGE_FORMAT, REPLY, REPLY_FORMAT, FORMAT_VERSION, PackageError,
                       open_container, read_member, sign, signing_key, verify, write_container)
from .admin import EnrollRefused, bind_station, same_secret
from .apply import BadRequest, BatchConflict, BatchReused, apply_envelope
from ..protocol import cursor_seq
from .db import account, district_behind, package_import, pull_page
from .photos import PhotoStore
from . import people, tiers

log = logging.getLogger(__name__)
REPLY_PULL_PAGES = 20  # at most 10,000 district items in one reply; the rest come with the next one


@dataclass
class ImportResult:
    station_name: str
    applied: int = 0
    duplicate: int = 0
    rejected: int = 0
    stale: int = 0
    photos: int = 0
    batches: int = 0
    replayed: int = 0  # batches imported before (this package again, or an older one): answered as then
    refused_batches: list[str] = field(default_factory=list)
    enrolled: bool = False
    reply: bytes = b""  # the reply file's content
    reply_name: str = ""
    import_id: int = 0  # its row in package_import: the reply can be downloaded again from the district page


def other_street(street: str) -> PackageError:
    # Says nothing of the station it is from: a 街道 account learns no other street's names (#30).
    return PackageError(f"这个同步包不是{street}的实践所或实践站导出的，未导入。请交区文明实践中心或该站所属街道导入")


def _account_for(engine: Engine, manifest: dict, raw: bytes, sig: str, street: str = ""):
    """The station's account, once the manifest's signature proves the package came from its PC.
    A first package of a station without network enrolls it here (its one-time code proven by HMAC).
    ``street``: imported by a 街道 staff account, which takes only its own street's packages (#30)."""
    station_id = manifest.get("station_id")
    if not isinstance(station_id, str) or not 1 <= len(station_id) <= 36:
        raise PackageError("同步包没有注明实践站编号，已损坏")
    with engine.connect() as conn:
        acct = conn.execute(select(account).where(account.c.station_id == station_id).order_by(account.c.id.desc())).first()
    if street and acct is not None and acct.street != street:
        raise other_street(street)
    if acct is not None and acct.revoked:
        raise PackageError(f"“{acct.name}”的同步权限已被停用，同步包未导入。需要恢复时运行 station district reenable {acct.name}")
    if acct is not None and acct.token_hash and verify(signing_key(acct.token_hash), raw, sig):
        return acct, False
    enroll = manifest.get("enroll")
    if isinstance(enroll, dict) and isinstance(enroll.get("token_hash"), str) and isinstance(enroll.get("proof"), str):
        new_hash = enroll["token_hash"]
        if len(new_hash) == 64 and all(c in "0123456789abcdef" for c in new_hash) and verify(signing_key(new_hash), raw, sig):
            with engine.begin() as conn:
                waiting = conn.execute(select(account).where(account.c.enroll_code_hash.is_not(None), account.c.revoked.is_(False))).all()
                for candidate in waiting:
                    proof = sign(signing_key(candidate.enroll_code_hash), f"{station_id}:{new_hash}".encode())
                    if same_secret(proof, enroll["proof"]):  # constant time, as every secret (#27)
                        if street and candidate.street != street:
                            raise other_street(street)
                        try:
                            level, street = enroll.get("level"), enroll.get("street")
                            bind_station(conn, candidate, station_id, new_hash,
                                         level=level if level in ("station", "institute", "center") else None,
                                         street=street if isinstance(street, str) else None)
                        except EnrollRefused as exc:
                            raise PackageError(str(exc)) from None
                        return conn.execute(select(account).where(account.c.id == candidate.id)).first(), True
            if acct is not None and acct.token_hash == new_hash:
                return acct, False  # enrolled by an earlier package that carried the same proof
            raise PackageError("同步包中的登记码无效或已使用：请向区文明实践中心核对登记码，在实践站重新导出同步包")
        if acct is None:  # it carries a code's proof, but its signature is not the one the station made
            raise PackageError("同步包的签名与其中的登记不符：它不是实践站导出时的样子（已被改动或已损坏），未导入。请在实践站重新导出")
    if acct is None:
        raise PackageError("这个实践站还没有在区里登记：请在实践站导出同步包时填写区里给的登记码")
    raise PackageError(f"同步包的签名与“{acct.name}”的登记不符：它不是该站当前的登记导出的，或已被改动。请在实践站重新导出")


def _checked(zf, entry: dict, limit: int, what: str) -> bytes:
    data = read_member(zf, entry["name"], limit)
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise PackageError(f"同步包中的{what} {entry['name']} 与清单不符（被改动或已损坏），整个包未导入")
    return data


def _entries(zf, manifest: dict) -> tuple[list[dict], list[dict]]:
    """The manifest's batches and photos, every one read and checked against its SHA-256 before
    anything is applied (one member in memory at a time: a first package can hold a 5-year ledger)."""
    batches, photos = manifest.get("batches", []), manifest.get("files", [])
    if not isinstance(batches, list) or not isinstance(photos, list):
        raise PackageError("同步包清单格式错误")
    for entry in batches + photos:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(entry.get("sha256"), str):
            raise PackageError("同步包清单格式错误")
    for entry in batches:
        _checked(zf, entry, protocol.MAX_JSON_BYTES, "")
    for entry in photos:
        if len(entry["sha256"]) != 64:
            raise PackageError("同步包清单格式错误")
        _checked(zf, entry, protocol.MAX_FILE_BYTES, "照片")
    return batches, photos


def import_package(engine: Engine, photos: PhotoStore, source: Path | BinaryIO, *, by: str = "命令行", street: str = "") -> ImportResult:
    """Apply a package and return the reply to carry back (``result.reply``). Raises PackageError, in
    Chinese, with nothing written, for a file that is truncated, tampered with, foreign or revoked — or, imported
    by a 街道 staff account (``street``), from a station of another street."""
    zf, manifest, raw, sig = open_container(source, MANIFEST, PACKAGE_FORMAT)
    with zf:
        acct, enrolled = _account_for(engine, manifest, raw, sig, street)
        batches, photo_entries = _entries(zf, manifest)
        result = ImportResult(station_name=acct.name, enrolled=enrolled)
        for entry in photo_entries:
            photos.put(acct.id, entry["sha256"], _checked(zf, entry, protocol.MAX_FILE_BYTES, "照片"))
            result.photos += 1
        answers = []
        for entry in batches:  # each batch in its own transaction, idempotent by its batch id
            data = _checked(zf, entry, protocol.MAX_JSON_BYTES, "")
            result.batches += 1
            try:
                envelope = json.loads(data)
                seqs = [r.get("seq") for r in envelope.get("rows", []) if isinstance(r, dict)]
                answer = apply_envelope(engine, acct, envelope, hashlib.sha256(data).hexdigest())
            except (BadRequest, PermissionError, BatchReused, BatchConflict) as exc:
                answer, reason = None, str(exc)
            except (ValueError, AttributeError):
                answer, reason = None, "批次格式错误"
            if answer is None:
                log.warning("package batch %s of %s refused: %s", entry.get("batch_id"), acct.name, reason)
                result.refused_batches.append(reason)
                answers.append({"batch_id": entry.get("batch_id"), "error": reason})
                continue
            if answer.get("replayed"):
                result.replayed += 1
            else:
                for r in answer["results"]:
                    setattr(result, r["status"], getattr(result, r["status"]) + 1)
            answers.append({"batch_id": answer["batch_id"], "seqs": seqs, "results": answer["results"]})
    taken_certificates = None
    if isinstance(manifest.get("certificates"), dict):  # 志愿服务记录证明 and their 作废 (#26), signed with the manifest
        from . import certificates

        try:
            taken_certificates = certificates.receive(engine, acct, manifest["certificates"])
        except certificates.Refused as exc:
            taken_certificates = {"taken": [], "refused": {"*": str(exc)}}
    cursor = manifest.get("pull_cursor")
    cursor = cursor[:40] if isinstance(cursor, str) else "0"
    items: list[dict] = []
    tiers.refresh_directory(engine, acct)  # whom this ledger may 转派 to or 上报 to, if it changed (五.2)
    people.refresh_note(engine, acct)  # its volunteers registered in other ledgers too, if that changed (#30)
    with engine.connect() as conn:
        restored = district_behind(conn, cursor)  # put back to an older backup since the station last pulled
        if restored:
            log.warning("account %s's package pulls from %r, which this district did not issue: it was restored", acct.id, cursor)
            cursor = "0"
        for _ in range(REPLY_PULL_PAGES):
            page, next_cursor = pull_page(conn, acct.station_id, cursor_seq(cursor)[0])
            items += page
            cursor = next_cursor or cursor
            if len(page) < protocol.PULL_PAGE:
                break
    with engine.connect() as conn:  # the account as it is now (enrolled just above, perhaps)
        acct = conn.execute(select(account).where(account.c.id == acct.id)).first()
    reply = {
        "format": REPLY_FORMAT, "version": FORMAT_VERSION, "package_id": manifest.get("package_id"),
        "station_id": acct.station_id, "station_name": manifest.get("station_name", ""), "account_name": acct.name,
        "created_at": utcnow().isoformat(), "batches": answers,
        "pull": {"cursor": cursor, "items": items, **({"district_restored": True} if restored else {})},
        **({"certificates": taken_certificates} if taken_certificates is not None else {}),
    }
    result.reply = reply_bytes(reply, signing_key(acct.token_hash))
    stamp = str(manifest.get("created_at", ""))[:10].replace("-", "")
    result.reply_name = f"{safe_file_name(acct.name)}-回执-{stamp}.slreply"  # a name may hold "/" (#27)
    package_id = str(manifest.get("package_id") or "")[:36]
    with engine.begin() as conn:
        result.import_id = conn.execute(package_import.insert().values(
            account_id=acct.id, package_id=package_id, imported_at=utcnow(), imported_by=by[:100],
            rows=sum(int(e.get("rows") or 0) for e in batches if isinstance(e.get("rows"), int)), applied=result.applied,
            rejected=result.rejected, reply_name=result.reply_name, reply=result.reply)).inserted_primary_key[0]
    return result


def reply_bytes(reply: dict, key: bytes) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "reply.slreply"
        write_container(target, REPLY, reply, key, [])
        return target.read_bytes()

