"""Sync by USB stick (sneakernet): the same rows, batches and answers as the network, carried in files.

The station writes a **package** (every change not yet acknowledged, in the same batches a network push
would send, plus the photos they name); the district applies it through the same per-row path as a
network batch and writes a **reply** (the per-row answers, and the district's items since the station's
pull cursor); the station takes the reply in exactly as it takes a network answer. Both files are zip
containers with one JSON document, a SHA-256 for every other member, and an HMAC-SHA256 of that
document keyed with the SHA-256 of the station's token: the station holds the token, the district its
hash, and a stick found in a drawer holds neither, so nobody can forge rows or acknowledgements with it.

A station with no network at all enrolls on its first package: it makes its token itself and proves the
district's one-time code with an HMAC keyed by the code's hash (the code itself is never written).
docs/sync-protocol.md describes the format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
import zipfile
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from app import __version__, outbox
from app.db import Store
from app.files import atomic_output
from app.migrations import HEAD_REVISION
from app.models import Station, SyncRun, utcnow

from . import protocol
from .protocol import cursor_for, cursor_seq

PACKAGE_FORMAT = "station-ledger-package"
REPLY_FORMAT = "station-ledger-reply"
FORMAT_VERSION = 1
PACKAGE_SUFFIX = ".slpkg"
REPLY_SUFFIX = ".slreply"
MANIFEST, MANIFEST_SIG = "manifest.json", "manifest.sig"
REPLY, REPLY_SIG = "reply.json", "reply.sig"
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # the manifest or the reply, unpacked
MAX_PACKAGE_BYTES = 1024 * 1024 * 1024  # a whole package on a stick (photos included)


class PackageError(Exception):
    """A package or reply refused, with the reason in Chinese for the person holding the stick."""


def token_hash(token: str) -> str:
    """The district keeps this of a token (sync.server.admin.token_hash is the same function)."""
    return hashlib.sha256(token.encode()).hexdigest()


def signing_key(hash_hex: str) -> bytes:
    return bytes.fromhex(hash_hex)


def sign(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def enroll_proof(code: str, station_id: str, new_token_hash: str) -> str:
    """Proof that whoever wrote a package knew the one-time code, bound to this station and this token."""
    return sign(signing_key(token_hash(normalize_code(code))), f"{station_id}:{new_token_hash}".encode())


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()  # as the slip prints it: "ABCD 2345"


class ContainerWriter:
    """A zip written member by member (a first package can hold years of rows and thousands of photos: never
    all in memory), next to ``target``, and moved into place only when complete: a stick pulled out
    half-way leaves the old file or none, never a short one under the final name."""

    def __init__(self, target: Path):
        self.target = Path(target)
        self._kept = ExitStack()  # the one safe write (app.files.atomic_output), held open member by member
        self.partial = self._kept.enter_context(atomic_output(self.target))
        self.zf = zipfile.ZipFile(self.partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)

    def add(self, name: str, data: bytes, *, compress: bool = True) -> dict:
        """Write one member; returns its manifest entry (name, SHA-256, size)."""
        self.zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def finish(self, main: str, document: dict, key: bytes) -> int:
        """The signed document last, then the rename. Returns the file's size."""
        text = json.dumps(document, ensure_ascii=False, indent=1).encode()
        self.zf.writestr(main, text)
        self.zf.writestr(main.replace(".json", ".sig"), sign(key, text))
        self.zf.close()
        size = self.partial.stat().st_size
        self._kept.close()  # flushed to the stick, renamed into place, the rename flushed: "完成" means on the stick
        return size

    def abandon(self) -> None:
        self.zf.close()
        self._kept.__exit__(RuntimeError, RuntimeError("abandoned"), None)  # the partial file removed, the old one kept


def write_container(target: Path, main: str, document: dict, key: bytes, members: list[tuple[str, bytes, bool]]) -> int:
    writer = ContainerWriter(target)
    try:
        for name, data, compress in members:
            writer.add(name, data, compress=compress)
        return writer.finish(main, document, key)
    except BaseException:
        writer.abandon()
        raise


def read_member(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One member, refusing a declared or actual size over ``limit`` (a small zip can unpack to gigabytes)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise PackageError(f"文件中缺少 {name}，不是完整的同步文件") from None
    if info.file_size > limit:
        raise PackageError(f"文件中的 {name} 过大（{info.file_size // 1024 // 1024} MB）")
    try:
        with zf.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise PackageError(f"文件中的 {name} 已损坏（{exc.__class__.__name__}），文件可能没有复制完整") from None
    if len(data) > limit:
        raise PackageError(f"文件中的 {name} 过大")
    return data


def open_container(source: Path | BinaryIO, main: str, expected_format: str) -> tuple[zipfile.ZipFile, dict, bytes, str]:
    """The zip, its JSON document (checked for format), the document's bytes and its signature."""
    what = "同步包" if expected_format == PACKAGE_FORMAT else "回执文件"
    try:
        zf = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise PackageError(f"找不到{what}：{source}") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise PackageError(f"{what}不完整或已损坏（文件可能没有复制完），请重新导出后再试") from None
    try:
        names = set(zf.namelist())
        if main not in names and {MANIFEST, REPLY} & names:
            raise PackageError(f"这是{'同步包' if MANIFEST in names else '回执文件'}，不是{what}")
        raw = read_member(zf, main, MAX_DOCUMENT_BYTES)
        sig = read_member(zf, main.replace(".json", ".sig"), 200).decode("ascii", "replace").strip()
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise PackageError(f"{what}的清单无法读取，文件已损坏") from None
        found = document.get("format") if isinstance(document, dict) else None
        if found != expected_format:
            kinds = {PACKAGE_FORMAT: "同步包", REPLY_FORMAT: "回执文件"}
            raise PackageError(f"这是{kinds[found]}，不是{what}" if found in kinds else f"这不是{what}")
        if document.get("version") != FORMAT_VERSION:
            raise PackageError(f"{what}的格式版本（{document.get('version')}）与本程序不符，请升级实践站台账程序")
    except Exception:
        zf.close()
        raise
    return zf, document, raw, sig


def verify(key: bytes, raw: bytes, sig: str) -> bool:
    return hmac.compare_digest(sign(key, raw), sig)


# -- the station's side ----------------------------------------------------------------------------

@dataclass
class ExportResult:
    path: Path
    rows: int
    batches: int
    photos: int
    size: int
    seq_from: int
    seq_to: int
    enrolling: bool


def export_package(store: Store, target: Path, *, code: str = "", batch_rows: int = 500, batch_bytes: int = 1_000_000,
                   progress: Callable[[int, int], None] = lambda _d, _t: None, allow_demo: bool = False) -> ExportResult:
    """Every change not yet acknowledged, in batches as a network push makes them, plus their photos.

    ``code``: the district's one-time enrollment code, for a station that has never reached the
    district (or was re-enabled): the station makes a new token and the package carries the proof."""
    from app.services.activities import photo_path
    from app.services.context import Context

    from .client import certificate_report, ledger_profile, load_state, save_state

    station_id = store.station_id
    if station_id is None:
        raise PackageError("尚未建立实践站，无法导出同步包")
    state = load_state(store)
    enroll = None
    if code.strip():
        from app.settings import Settings

        if Settings(store.paths.settings).get("is_demo") and not allow_demo:
            raise PackageError("这是示范站，数据是虚构的，随包登记后会进入区里。要登记本站，请先退出示范站，建立本站台账")
        code = normalize_code(code)
        if len(code) != 8:
            raise PackageError("登记码应为8位字母和数字，请核对区里给的登记码")
        # A package sent before the district's reply came back keeps the token of the first one (the code
        # is spent by whichever the district imports first); a station re-enabled later gets a new one.
        awaiting = bool(state.token) and not state.account_name
        token = state.token if awaiting else secrets.token_urlsafe(32)
        new_hash = token_hash(token)
        enroll = {"token_hash": new_hash, "proof": enroll_proof(code, station_id, new_hash), **ledger_profile(store)}
        if not awaiting:
            save_state(store, token=token)
    elif not state.token:
        raise PackageError("本站还没有在区里登记。请填写区文明实践中心给的登记码，随第一个同步包一起登记本站")
    else:
        token = state.token
    key = signing_key(token_hash(token))
    with store.session() as session:
        station = session.get(Station, station_id)
        station_name = station.name if station else ""

    total = outbox.pending_count(store)
    batches: list[dict] = []
    files: list = []
    shas: set[str] = set()
    after = rows_done = 0
    seq_from = seq_to = 0
    ctx = Context(store=store)
    target = Path(target)
    writer = ContainerWriter(target)
    try:
        while True:
            rows = outbox.pending(store, after_seq=after, limit=batch_rows)
            if not rows:
                break
            batch: list = []
            nbytes = 0
            for row in rows:
                if batch and nbytes + len(row.payload) > batch_bytes:
                    break
                batch.append(row)
                nbytes += len(row.payload)
            envelope = {
                "batch_id": str(uuid.uuid4()), "station_id": station_id, "protocol": protocol.PROTOCOL_VERSION,
                "schema": HEAD_REVISION, "app_version": __version__,
                "rows": [{"seq": r.seq, "entity": r.entity, "id": r.row_id, "op": r.op, "version": r.version,
                          "payload": json.loads(r.payload)} for r in batch],
            }
            data = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
            entry = writer.add(f"batches/{len(batches) + 1:05d}.json", data)
            batches.append({**entry, "batch_id": envelope["batch_id"], "rows": len(batch)})
            for r in batch:  # the photos these rows name, each once, beside them (stored: already compressed)
                sha = json.loads(r.payload).get("sha256", "") if r.entity == "photo" else ""
                path = photo_path(ctx, sha) if len(sha) == 64 and sha not in shas else None
                if path is not None and path.exists():
                    shas.add(sha)
                    photo = path.read_bytes()
                    if hashlib.sha256(photo).hexdigest() == sha:  # damaged on this PC: the district refuses the row and names it
                        files.append(writer.add(f"files/{sha}", photo, compress=False))
            seq_from = seq_from or batch[0].seq
            seq_to = after = batch[-1].seq
            rows_done += len(batch)
            progress(rows_done, total)
        manifest = {
            "format": PACKAGE_FORMAT, "version": FORMAT_VERSION, "package_id": str(uuid.uuid4()),
            "station_id": station_id, "station_name": station_name, "created_at": utcnow().isoformat(),
            "app_version": __version__, "schema": HEAD_REVISION, "protocol": protocol.PROTOCOL_VERSION,
            "rows": rows_done, "seq_from": seq_from, "seq_to": seq_to, "pull_cursor": load_state(store).pull_cursor,
            "enroll": enroll, "batches": batches, "files": files,
            "certificates": certificate_report(store),  # new ones and 作废 (#26): the manifest's signature covers them
        }
        size = writer.finish(MANIFEST, manifest, key)
    except BaseException:
        writer.abandon()
        raise
    _history(store, "ok", f"导出同步包 {target.name}：{rows_done} 条记录、{len(files)} 张照片（第 {seq_from}–{seq_to} 条变更），"
                          "等区里导入后把回执文件导入本站", bytes_sent=size)
    return ExportResult(target, rows_done, len(batches), len(files), size, seq_from, seq_to, enroll is not None)


@dataclass
class ReplyResult:
    acked: int = 0
    rejected: int = 0
    stale: int = 0
    pulled: int = 0
    notices: int = 0  # of those pulled, the announcements, rules and mapping the 区里的通知 tab shows
    dispatched: int = 0
    handed_in: int = 0  # demands 转派ed or 上报ed to this ledger by another tier's (五.2)
    progress: int = 0  # what other tiers did with demands handed on from here
    withdrawn: int = 0
    refused_batches: int = 0
    account_name: str = ""
    package_id: str = ""
    certificates: int = 0  # 志愿服务记录证明 (or their 作废) the district took in
    elsewhere: int = 0  # this ledger's volunteers newly found registered in other ledgers too (#30)
    resent: int = 0  # rows queued again: the district was put back to an older backup (next package carries them)


def import_reply(store: Store, source: Path | BinaryIO) -> ReplyResult:
    """Take in the district's reply exactly as a network answer: rows acknowledged, rejected with the
    reason, or resent above the district's version; then the district's items. Importing a reply twice,
    or an older reply after a newer one, changes nothing more."""
    from .client import SyncResult, certificates_taken, district_restored, load_state, record_answer, save_state, take_pulled

    state = load_state(store)
    zf, reply, raw, sig = open_container(source, REPLY, REPLY_FORMAT)
    zf.close()
    if reply.get("station_id") != store.station_id:
        raise PackageError(f"这是“{reply.get('station_name') or '其他实践站'}”的回执文件，不是本站的")
    if not state.token or not verify(signing_key(token_hash(state.token)), raw, sig):
        raise PackageError("回执文件的签名不符：它不是区里为本站最新的登记写的，或已被改动。请让区里重新导入本站最新的同步包")
    result = ReplyResult(account_name=str(reply.get("account_name") or ""), package_id=str(reply.get("package_id") or ""))
    for batch in reply.get("batches", []):
        if not isinstance(batch, dict):
            continue
        if batch.get("error"):
            result.refused_batches += 1
            continue
        seqs = [s for s in batch.get("seqs", []) if isinstance(s, int)]
        counts = record_answer(store, seqs, batch.get("results", []))
        result.acked += counts.acked
        result.rejected += len(counts.rejected)
        result.stale += counts.stale
    pull = reply.get("pull") or {}
    restored = pull.get("district_restored") is True  # put back to an older backup since this station last pulled
    current = 0 if restored else cursor_seq(state.pull_cursor)[0]
    items = [i for i in pull.get("items", []) if isinstance(i, dict) and isinstance(i.get("seq"), int) and i["seq"] > current]
    if restored:
        synced = SyncResult()
        result.resent = district_restored(store, synced)  # every row into the next package
        if not items:
            take_pulled(store, [], str(pull.get("cursor", "0")), synced)  # the cursor back where the district is
    if items:  # an older reply after a newer one brings nothing the station has not taken in
        synced = SyncResult()
        last = max(items, key=lambda i: i["seq"])
        take_pulled(store, items, cursor_for(last["seq"], str(last.get("id", ""))), synced)
        result.pulled, result.dispatched, result.withdrawn = synced.pulled, synced.dispatched, synced.withdrawn
        result.notices = synced.notices
        result.handed_in, result.progress = synced.handed_in, synced.progress
        result.elsewhere = synced.elsewhere
    if isinstance(reply.get("certificates"), dict):
        result.certificates = certificates_taken(store, reply["certificates"])
    if result.account_name and result.account_name != state.account_name:
        save_state(store, account_name=result.account_name)
    if result.acked or items:  # an exchange with the district, even one that uploaded nothing new
        save_state(store, last_success_at=utcnow())
    message = (f"导入回执：区里接收 {result.acked} 条，被拒 {result.rejected} 条，收到通知 {result.notices} 条"
               + (f"（其中区中心派单 {result.dispatched} 件）" if result.dispatched else "")
               + (f"（其中转派或上报来的需求 {result.handed_in} 件）" if result.handed_in else "")
               + (f"；转出需求的办理进展 {result.progress} 条" if result.progress else "")
               + (f"；{result.elsewhere} 名志愿者已在其他站点登记" if result.elsewhere else "")
               + (f"；{result.refused_batches} 批未被区里处理，会随下一个同步包再次上传" if result.refused_batches else "")
               + (f"；区里的数据恢复到了较早的备份，本站的全部记录（{result.resent} 条）会随下一个同步包重新上传"
                  if result.resent else ""))
    _history(store, "ok", message, pushed=result.acked, rejected=result.rejected, pulled=result.pulled)
    return result


def _history(store: Store, status: str, message: str, **counts) -> None:
    with store.session() as session:
        now = utcnow()
        session.add(SyncRun(started_at=now, finished_at=now, status=status, message=message[:1000], **counts))
        session.commit()


def default_package_name(store: Store, when: datetime | None = None) -> str:
    when = when or datetime.now()
    with store.session() as session:
        station = session.get(Station, store.station_id) if store.station_id else None
    name = (station.name if station else "实践站").replace("/", "_").replace("\\", "_")
    return f"{name}-同步包-{when:%Y%m%d-%H%M}{PACKAGE_SUFFIX}"
