"""The station's side of sync (requests): enroll once, then push the outbox and pull the district's rows.

Exactly once, whatever breaks: every batch carries a batch id the server
remembers (a resent batch gets the same answer and changes nothing) and every
row a version the server applies only when newer; a row is marked
acknowledged only from the server's per-row answer, in the same local
transaction for the whole batch; the pull cursor is saved in the same
transaction as the pulled rows. Retries back off exponentially with jitter and
re-arm on every sync.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests
from sqlmodel import select

from app import __version__, outbox
from app.changes import changed
from app.db import Store
from app.files import write_atomically
from app.migrations import HEAD_REVISION
from app.models import Announcement, SyncRun, SyncState, utcnow
from app.services.activities import photo_path
from app.models.enums import Role
from app.services import demands, elsewhere
from app.services.context import Actor, Context

from . import protocol

log = logging.getLogger(__name__)
USER_AGENT = f"station-ledger/{__version__}"


class SyncError(Exception):
    """A Chinese message for the person; ``retry_later`` when the network or the server is the problem."""

    def __init__(self, message: str, *, retry_later: bool = False):
        super().__init__(message)
        self.retry_later = retry_later


def address_problem(server_url: str) -> str:
    """What is wrong with a district address as typed ("" when nothing is): asked before anything else is."""
    server_url = server_url.strip()
    if not server_url:
        return "请填写区里服务器的地址（区文明实践中心提供，如 https://…）"
    if not server_url.startswith(("https://", "http://")):
        return "服务器地址应以 https:// 开头"
    return ""


class SyncCancelled(SyncError):
    def __init__(self) -> None:
        super().__init__("同步已取消，已完成的部分不会重复上传")


@dataclass
class SyncProgress:
    rows_done: int = 0
    rows_total: int = 0
    bytes_sent: int = 0
    text: str = ""


@dataclass
class _Flight:
    """A batch sent and not yet answered (``SyncClient.push``)."""

    future: Future
    batch: list
    body: bytes
    start: int  # the seq the batch was read after: where a batch too large (413) is cut again from
    results: list = field(default_factory=list)


@dataclass
class SyncResult:
    pushed: int = 0
    rejected: int = 0
    pulled: int = 0
    notices: int = 0  # of those pulled, what the 区里的通知 tab shows: announcements, rules, the national mapping
    bytes_sent: int = 0
    dispatched: int = 0  # demands the district center dispatched to this station, taken in by this sync
    handed_in: int = 0  # demands another tier's ledger 转派ed or 上报ed to this one (五.2), taken in by this sync
    progress: int = 0  # what other tiers did with demands this ledger handed on, added to their 办理经过
    certificates: int = 0  # 志愿服务记录证明 (or their 作废) the district took in
    withdrawn: int = 0  # dispatches the district withdrew, cancelled here by this sync
    recovered: int = 0  # rows the district had that a restore took away here, back in the 回收站
    resent: int = 0  # rows sent again because the district was put back to an older backup
    elsewhere: int = 0  # this ledger's volunteers newly found registered in other ledgers too (#30)
    # the dispatches taken in by this sync, by id: one withdrawn again before the station saw it is not new work (#30)
    new_dispatches: set[str] = field(default_factory=set, repr=False)
    new_handed: set[str] = field(default_factory=set, repr=False)  # those of them another tier handed on


def ledger_profile(store: Store) -> dict:
    """What a ledger tells the district of itself when it enrolls (#30): its tier and its 街道, so a code
    made for a 所 does not enroll a village's ledger. A program before #30 sent neither and still enrolls."""
    from app.services.station import get_station

    from app import signing

    station = get_station(Context(store=store))
    with store.session() as session:  # the key its certificates are signed with: checkable before their first sync (#26)
        key = signing.public_key(session)
        session.commit()
    return {"level": station.level or "station", "street": (station.street or "")[:100], "public_key": key}


def certificate_report(store: Store) -> dict:
    """What the district is told of the station's 志愿服务记录证明 (by network or USB package): its public key, and
    the certificates it has not got yet — new, or 作废 since (#26)."""
    from sqlmodel import select as select_rows

    from app import signing
    from app.models import CertificateRecord

    with store.session() as session:
        key = signing.public_key(session)  # made on first use, kept in the store
        session.commit()
        rows = session.exec(select_rows(CertificateRecord).where(CertificateRecord.reported_at == None)
                            .order_by(CertificateRecord.number).limit(500)).all()
        items = [{"number": r.number, "masked_name": signing.mask_name(r.volunteer_name), "date_from": r.date_from.isoformat(),
                  "date_to": r.date_to.isoformat(), "hours": r.hours, "activities": r.activities, "issued_on": r.issued_on.isoformat(),
                  "signature": r.signature, "revoked_on": r.revoked_on.isoformat() if r.revoked_on else None,
                  "revoke_reason": r.revoke_reason} for r in rows if r.signature]
    return {"public_key": key, "certificates": items}


def certificates_taken(store: Store, answer: dict) -> int:
    """Mark what the district took (its answer to ``certificate_report``); the refused are logged and sent again."""
    from sqlmodel import select as select_rows

    from app.models import CertificateRecord

    taken = {n for n in answer.get("taken", []) if isinstance(n, str)} if isinstance(answer, dict) else set()
    for number, reason in ((answer.get("refused") or {}) if isinstance(answer, dict) else {}).items():
        log.warning("the district refused certificate %s: %s", number, reason)
    now = utcnow()
    with store.session() as session:
        for row in session.exec(select_rows(CertificateRecord).where(CertificateRecord.number.in_(taken))):
            row.reported_at = now
        session.commit()
    return len(taken)


def load_state(store: Store) -> SyncState:
    with store.session() as session:
        return session.get(SyncState, 1) or SyncState()


def save_state(store: Store, **values) -> SyncState:
    with store.session() as session:
        state = session.get(SyncState, 1) or SyncState(id=1)
        for key, value in values.items():
            setattr(state, key, value)
        session.add(state)
        session.commit()
        return state


CA_FILENAME = "district-ca.pem"  # the district's root certificate, copied into the data folder (#27)


def _certificates_in(path: Path) -> bytes:
    """The PEM certificates in ``path``, or a SyncError naming the file."""
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SyncError(f"读不了证书文件“{path}”（{exc.strerror or exc.__class__.__name__}）") from None
    if len(data) > 1_000_000:
        raise SyncError(f"“{path.name}”不是证书文件（太大）。请选择区里提供的根证书（.pem、.crt 或 .cer）")
    try:
        if b"-----BEGIN CERTIFICATE-----" not in data:  # a DER .cer: the same certificate, as PEM for requests
            from cryptography.hazmat.primitives.serialization import Encoding

            return x509.load_der_x509_certificate(data).public_bytes(Encoding.PEM)
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise SyncError(f"“{path.name}”不是有效的证书文件。请选择区里提供的根证书（.pem、.crt 或 .cer）") from None
    return data


def check_certificate(path: str | Path) -> None:
    """SyncError naming ``path`` unless it holds a certificate (said when the file is picked, not at 登记)."""
    _certificates_in(Path(path))


def keep_certificate(store: Store, path: str | Path, *, save: bool = True) -> str:
    """Check ``path`` holds the district's certificate and copy it into the data folder: picked from a USB
    stick, a path stopped every sync once the stick was out. Returns the name kept in the sync state (saved
    there unless ``save`` is False: an enrolment saves it with its token)."""
    data = _certificates_in(Path(path))
    write_atomically(store.paths.root / CA_FILENAME, data)
    if save:
        save_state(store, ca_file=CA_FILENAME)
    return CA_FILENAME


def trusted_certificate(store: Store, ca_file: str) -> str | bool:
    """What ``requests`` verifies the district's server with: the copy in the data folder, a path an older
    version kept (if it is still there), or True for the system's certificates."""
    if not ca_file:
        return True
    path = Path(ca_file)
    path = path if path.is_absolute() else store.paths.root / path
    if not path.is_file():
        raise SyncError(f"找不到区里的根证书“{ca_file}”（也许在已经拔下的U盘上）。"
                        "请在“同步”页点“更换证书…”重新选择区里提供的证书文件。")
    return str(path)


def certificate_summary(store: Store, ca_file: str) -> str:
    """What the 同步 page says of the certificate the district's server is checked with."""
    if not ca_file:
        return "使用系统自带的证书"
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        path = Path(trusted_certificate(store, ca_file))
        first = x509.load_pem_x509_certificates(_certificates_in(path))[0]
    except (SyncError, ValueError):
        return "找不到或无法读取，请点“更换证书…”重新选择"
    names = first.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    until = first.not_valid_after_utc.astimezone()
    return f"{names[0].value if names else '区里的根证书'}（有效期至 {until.year}年{until.month}月{until.day}日）"


def _message(response: requests.Response, fallback: str) -> str:
    try:
        return response.json().get("message") or fallback
    except ValueError:
        return fallback


def tls_problem(exc: BaseException) -> str:
    """Why an HTTPS connection was refused, in words a clerk can act on (OpenSSL's reason is English)."""
    reason = str(exc).lower()
    if "hostname mismatch" in reason or "doesn't match" in reason or "not valid for" in reason:
        return "证书上的名称与服务器地址不符，请核对服务器地址（区文明实践中心提供）。"
    if "expired" in reason:
        return "区里服务器的证书已过期，请联系区文明实践中心更新证书。"
    if "verify failed" in reason or "self-signed" in reason or "issuer" in reason:
        return "它不是由本站信任的根证书签发的。请在“同步”页选择区文明实践中心提供的根证书文件，或核对服务器地址。"
    return "加密连接没有建立起来，请核对服务器地址（https:// 开头），并向区文明实践中心确认根证书。"


class SyncClient:
    def __init__(self, store: Store, *, timeout: tuple[float, float] = (5.0, 30.0), max_retry_seconds: float = 120.0,
                 backoff_base: float = 0.5, backoff_cap: float = 30.0, batch_rows: int = protocol.SAFE_BATCH_ROWS,
                 batch_bytes: int = 1_000_000, max_batch_rows: int = protocol.MAX_BATCH_ROWS, fast_answer_s: float = 1.0,
                 slow_answer_s: float = 10.0, sleep: Callable[[float], None] = time.sleep):
        """``batch_rows``: the first batch's rows. While the district answers within ``fast_answer_s`` a batch grows,
        doubling, to what it says it takes (``max_batch_rows`` in its answers; a district that says nothing keeps
        ``batch_rows``) and at most ``max_batch_rows``; an answer slower than ``slow_answer_s`` halves it (#29)."""
        self.store = store
        self.timeout = timeout
        self.max_retry_seconds = max_retry_seconds
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.batch_rows, self.batch_bytes, self.max_batch_rows = batch_rows, batch_bytes, max_batch_rows
        self.fast_answer_s, self.slow_answer_s = fast_answer_s, slow_answer_s
        self.sleep = sleep
        self.http = requests.Session()
        self.http.headers.update({"User-Agent": USER_AGENT, protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)})

    # -- plumbing ----------------------------------------------------------------
    def _configure(self, state: SyncState) -> str:
        if not state.server_url or not state.token:
            raise SyncError("本站还没有在区里登记。请在“同步”页输入区里提供的服务器地址和登记码。")
        self.http.headers["Authorization"] = f"Bearer {state.token}"
        self.http.verify = trusted_certificate(self.store, state.ca_file)
        return state.server_url.rstrip("/")

    def _wait(self, seconds: float, cancelled: Callable[[], bool]) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if cancelled():
                raise SyncCancelled()
            self.sleep(min(left, 0.2))

    def request(self, method: str, url: str, *, cancelled: Callable[[], bool] = lambda: False,
                unreachable: str = "", **kwargs) -> requests.Response:
        """One request with retries: connection errors, timeouts, 5xx and 429 back off and try again.
        ``unreachable``: said at once when the server cannot be reached at all (an address being typed in)."""
        deadline = time.monotonic() + self.max_retry_seconds
        attempt = 0
        while True:
            if cancelled():
                raise SyncCancelled()
            retry_after = None
            try:
                # verify given on each request: requests lets REQUESTS_CA_BUNDLE override a Session's own (#27)
                response = self.http.request(method, url, timeout=self.timeout, verify=self.http.verify, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise SyncError(f"无法验证区里服务器的证书：{tls_problem(exc)}") from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if unreachable:
                    raise SyncError(unreachable) from exc
                problem = "网络连接失败（等待超时）" if isinstance(exc, requests.Timeout) else "网络连接失败（连接不上区里的服务器）"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise SyncError(_message(response, "区里拒绝了本站的同步请求，请联系区文明实践中心"))
                if status == 426:
                    raise SyncError(_message(response, "本站程序版本过旧，请升级实践站台账程序"))
                if status == 429 or status >= 500:
                    problem = f"区里的服务器暂时无法处理（{status}）"
                    header = response.headers.get("Retry-After", "")
                    retry_after = float(header) if header.replace(".", "", 1).isdigit() else None
                else:
                    return response
            if time.monotonic() >= deadline:
                raise SyncError(f"{problem}，已多次重试。数据都保存在本机，稍后再点“同步”即可继续。", retry_later=True)
            delay = retry_after if retry_after is not None else min(self.backoff_cap, self.backoff_base * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311 - retry jitter, no secret
            log.info("sync retry %d in %.1f s: %s", attempt + 1, delay, problem)
            self._wait(delay, cancelled)
            attempt += 1

    # -- enrollment ----------------------------------------------------------------
    def enroll(self, server_url: str, code: str, *, ca_file: str = "",
               cancelled: Callable[[], bool] = lambda: False) -> str:
        server_url = server_url.strip().rstrip("/")
        problem = address_problem(server_url)
        if problem:
            raise SyncError(problem)
        station_id = self.store.station_id
        if station_id is None:
            raise SyncError("尚未建立实践站，无法登记")
        if ca_file:
            ca_file = keep_certificate(self.store, ca_file, save=False)  # a copy in the data folder, as checked
        self.http.verify = trusted_certificate(self.store, ca_file)
        state = load_state(self.store)
        # The person is at the PC typing the address: a server that cannot be reached is most likely a mistyped
        # address, said at once (a trial: six retries of a refused connection held the window 25 s).
        unreachable = f"连接不上区里的服务器 {server_url}：请核对服务器地址（区文明实践中心提供），并确认这台电脑已联网。"
        if not code.strip() and state.token and not state.server_url:
            # Enrolled by USB stick, and now there is a network: the token the district already knows works here.
            self.http.headers["Authorization"] = f"Bearer {state.token}"
            response = self.request("GET", server_url + protocol.PULL, params={"cursor": state.pull_cursor},
                                    unreachable=unreachable, cancelled=cancelled)
            if response.status_code != 200:
                raise SyncError(_message(response, f"连接区里的服务器失败（{response.status_code}）"))
            save_state(self.store, server_url=server_url, ca_file=ca_file)
            return state.account_name
        response = self.request("POST", server_url + protocol.ENROLL, unreachable=unreachable, cancelled=cancelled,
                                json={"code": code.strip(), "station_id": station_id, "app_version": __version__, **ledger_profile(self.store)})
        if response.status_code != 200:
            raise SyncError(_message(response, f"登记失败（{response.status_code}）"))
        body = response.json()
        save_state(self.store, server_url=server_url, token=body["token"], account_name=body.get("account_name", ""), ca_file=ca_file)
        return body.get("account_name", "")

    # -- sync ------------------------------------------------------------------------
    def sync(self, *, progress: Callable[[SyncProgress], None] = lambda _p: None,
             cancelled: Callable[[], bool] = lambda: False) -> SyncResult:
        """Push, then pull; recorded in the 同步 history whatever happens. A save that has to wait for one of
        its writes is told 正在同步数据 (``WriteGate.labelled``)."""
        with self.store.gate.labelled("同步数据"):
            return self._sync(progress, cancelled)

    def _sync(self, progress: Callable[[SyncProgress], None], cancelled: Callable[[], bool]) -> SyncResult:
        run_id = self._start_run()
        result = SyncResult()
        try:
            state = load_state(self.store)
            base = self._configure(state)
            if state.recover_pending:
                self.recover(base, result, progress, cancelled)
            self.push(base, result, progress, cancelled)
            if self.pull(base, result, cancelled):
                # Dispatches received open demands here; the district sees them taken in at once.
                self.push(base, result, progress, cancelled)
            self.report_certificates(base, result)
        except SyncCancelled as exc:
            self._finish_run(run_id, "cancelled", result, str(exc))
            raise
        except SyncError as exc:
            self._finish_run(run_id, "failed", result, str(exc))
            raise
        except Exception as exc:
            self._finish_run(run_id, "failed", result, f"意外错误：{exc}")
            raise
        save_state(self.store, last_success_at=utcnow())
        message = (f"区里的数据恢复到了较早的备份，本站的全部记录已重新上传（{result.resent} 条）；" if result.resent else "") + \
            f"上传 {result.pushed} 条，被拒 {result.rejected} 条，收到 {result.pulled} 条" + (
            f"（其中区中心派单 {result.dispatched} 件）" if result.dispatched else "") + (
            f"（其中转派或上报来的需求 {result.handed_in} 件）" if result.handed_in else "") + (
            f"；转出需求的办理进展 {result.progress} 条" if result.progress else "") + (
            f"；区中心撤回派单 {result.withdrawn} 件，已撤销" if result.withdrawn else "") + (
            f"；恢复备份后区里多出的 {result.recovered} 条记录已放入回收站" if result.recovered else "") + (
            f"；{result.elsewhere} 名志愿者已在其他站点登记" if result.elsewhere else "")
        self._finish_run(run_id, "ok", result, message)
        return result

    def report_certificates(self, base: str, result: SyncResult) -> None:
        """The station's public key, and the certificates the district has not got yet (new, or 作废 since),
        so /verify/<number> answers for them (#26). A district too old for it (404) is left alone."""
        report = certificate_report(self.store)
        response = self.request("POST", base + protocol.CERTIFICATES, json=report)
        if response.status_code != 200:
            # Never the reason a sync fails: the rows are in; the papers go again next time (404: an older district).
            log.warning("the district did not take the certificates (%s): %s", response.status_code, response.text[:300])
            return
        result.certificates = certificates_taken(self.store, response.json())

    def push(self, base: str, result: SyncResult, progress, cancelled) -> None:
        """The outbox up, a batch at a time, in order. One batch is in flight while the next is read and compressed
        and the answer to the one before is stamped here; the district still gets them one at a time (a batch goes
        only once the one before it was answered), so its answers are what they were without the overlap (#29)."""
        station_id = self.store.station_id
        total = outbox.pending_count(self.store)
        state = SyncProgress(rows_total=total, text="正在上传")
        progress(state)
        size, after, requeued = self.batch_rows, 0, 0
        ceiling = self.max_batch_rows  # no larger than this (lowered by a batch the district found too large)
        refused: list[int] = []  # seqs the district refused in this sync; some may follow their parent later
        stopping = False  # the push ended (an error here): the batch in flight stops retrying

        def stop_asked() -> bool:
            return stopping or cancelled()

        def answered(flight: _Flight) -> None:
            nonlocal requeued
            counts = record_answer(self.store, [r.seq for r in flight.batch], flight.results)
            requeued += counts.requeued
            state.rows_total += counts.stale  # each goes up once more, above the district's version
            result.pushed += counts.acked
            result.rejected += len(counts.rejected)
            refused.extend(counts.rejected)
            result.bytes_sent += len(flight.body)
            state.rows_done += len(flight.batch)
            state.bytes_sent += len(flight.body)
            state.text = f"已上传 {state.rows_done}/{total} 条"
            progress(state)

        def landed(flight: _Flight) -> bool:
            """Waits for the district's answer to ``flight``. False: too large (413), to be sent again smaller from
            where it started; the caller drops what it prepared after it."""
            nonlocal size, after, ceiling
            response, seconds = flight.future.result()
            if response.status_code == 413:
                if len(flight.batch) == 1:  # one row larger than the district accepts: set it aside, go on
                    outbox.record_results(self.store, [], {flight.batch[0].seq: "记录过大，区里无法接收"})
                    result.rejected += 1
                    after = flight.batch[0].seq
                else:
                    size = ceiling = max(1, len(flight.batch) // 2)
                    after = flight.start
                return False
            if response.status_code != 200:
                raise SyncError(_message(response, f"区里拒绝了这批数据（{response.status_code}）"))
            answer = response.json()
            flight.results = answer.get("results", [])
            takes = answer.get("max_batch_rows")
            if seconds > self.slow_answer_s:
                size = max(1, len(flight.batch) // 2)
            elif seconds < self.fast_answer_s and isinstance(takes, int) and not isinstance(takes, bool):
                size = max(size, min(size * 2, takes, ceiling))
            return True

        flight: _Flight | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-upload") as sender:
            try:
                while True:
                    if cancelled():
                        raise SyncCancelled()
                    start = after
                    rows = outbox.pending(self.store, after_seq=after, limit=size)
                    if not rows:
                        if flight is not None:  # its answer may put children back into the queue: look again after it
                            done, flight = flight, None
                            if landed(done):
                                answered(done)
                            continue
                        if requeued:
                            # children whose parents arrived in this pass went back into the queue: once more
                            after, requeued = 0, 0
                            continue
                        if refused:  # what is still refused at the end, not what was refused on the way
                            result.rejected -= len(refused) - outbox.still_rejected(self.store, refused)
                        break
                    batch, nbytes = [], 0
                    for row in rows:
                        if batch and nbytes + len(row.payload) > self.batch_bytes:
                            break
                        batch.append(row)
                        nbytes += len(row.payload)
                    if flight is not None and any(row.entity == "photo" for row in batch):
                        done, flight = flight, None  # photos go up with the connection to themselves
                        if landed(done):
                            answered(done)
                        else:
                            continue
                    batch = self._upload_photos(base, batch, result, cancelled)
                    if not batch:
                        continue
                    body = self._batch_body(station_id, batch)
                    after = batch[-1].seq
                    done, flight = flight, None
                    if done is not None and not landed(done):
                        continue  # what was prepared after it goes again, cut to the new size
                    flight = _Flight(sender.submit(self._post_batch, base, body, stop_asked), batch, body, start)
                    if done is not None:
                        answered(done)  # while the district applies the next batch
            finally:
                stopping = True  # a batch still in flight is answered or not; either way it is sent again or duplicate

    def _post_batch(self, base: str, body: bytes, cancelled) -> tuple[requests.Response, float]:
        """The district's answer to one batch, and how long it took (retries included)."""
        began = time.monotonic()
        response = self.request("POST", base + protocol.BATCHES, data=body, cancelled=cancelled,
                                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        return response, time.monotonic() - began

    @staticmethod
    def _batch_body(station_id: str | None, batch: list) -> bytes:
        """The gzip'd envelope; each row's payload is the outbox's JSON text as it is (parsed and written again it
        was the client's largest cost)."""
        head = json.dumps({"batch_id": str(uuid.uuid4()), "station_id": station_id, "protocol": protocol.PROTOCOL_VERSION,
                           "schema": HEAD_REVISION, "app_version": __version__}, ensure_ascii=False, separators=(",", ":"))
        rows = ",".join(f'{{"seq":{r.seq},"entity":{json.dumps(r.entity)},"id":{json.dumps(r.row_id)},"op":{json.dumps(r.op)},'
                        f'"version":{r.version},"payload":{r.payload}}}' for r in batch)
        return gzip.compress(f'{head[:-1]},"rows":[{rows}]}}'.encode(), compresslevel=6)

    def recover(self, base: str, result: SyncResult, progress, cancelled) -> None:
        """After a restore: this station's rows the district has and the restored store lacks come back,
        into the 回收站 (deleted), so nothing made after the backup is lost and the restore still decides
        what is live. Each goes up again as deleted, so the district ends equal to the station."""
        from app.models import SYNCED_MODELS, Volunteer
        from app.services.volunteers import next_number

        models = {m.__tablename__: m for m in SYNCED_MODELS}
        progress(SyncProgress(text="正在核对恢复备份后区里多出的记录"))
        for entity in protocol.ENTITIES:  # parents before children
            model, after = models[entity], ""
            while True:
                if cancelled():
                    raise SyncCancelled()
                response = self.request("GET", base + protocol.ROWS, params={"entity": entity, "after": after}, cancelled=cancelled)
                if response.status_code != 200:
                    raise SyncError(_message(response, f"核对区里的记录失败（{response.status_code}）"))
                body = response.json()
                rows = [r for r in body.get("rows", []) if isinstance(r, dict) and isinstance(r.get("id"), str)]
                if not rows:
                    break
                with self.store.session(operator=outbox.RESEND_OPERATOR) as session:
                    known = set(session.exec(select(model.id).where(model.id.in_([r["id"] for r in rows]))))
                    for payload in rows:
                        if payload["id"] in known or payload.get("station_id") != self.store.station_id:
                            continue
                        row = model.model_validate(payload)
                        row.deleted = True
                        if model is Volunteer and session.exec(select(Volunteer.id).where(Volunteer.number == row.number)).first():
                            row.number = next_number(session, self.store.station_id)  # the number was given again since
                        session.add(row)
                        session.flush()
                        result.recovered += 1
                    session.commit()
                after = rows[-1]["id"]
                if not body.get("more"):
                    break
        save_state(self.store, recover_pending=False)

    def _upload_photos(self, base: str, batch: list, result: SyncResult, cancelled) -> list:
        """Photos go up before the rows that name them (HEAD, then PUT if the district lacks it)."""
        keep = []
        ctx = Context(store=self.store)
        for row in batch:
            if row.entity == "photo":
                sha = json.loads(row.payload).get("sha256", "")
                url = f"{base}{protocol.FILES}/{sha}"
                if self.request("HEAD", url, cancelled=cancelled).status_code == 404:
                    path = photo_path(ctx, sha)
                    if not path.exists():
                        outbox.record_results(self.store, [], {row.seq: "照片文件在本机已丢失，无法上传"})
                        result.rejected += 1
                        continue
                    data = path.read_bytes()
                    response = self.request("PUT", url, data=data, cancelled=cancelled, headers={"Content-Type": "application/octet-stream"})
                    if response.status_code not in (200, 201):
                        raise SyncError(_message(response, f"照片上传失败（{response.status_code}）"))
                    result.bytes_sent += len(data)
            keep.append(row)
        return keep

    def pull(self, base: str, result: SyncResult, cancelled) -> int:
        """The district's rows since the server-issued cursor, saved together with the new cursor.

        Returns how many local changes the district's items made (demands opened or cancelled), to push at once."""
        received = 0
        while True:
            cursor = load_state(self.store).pull_cursor
            response = self.request("GET", base + protocol.PULL, params={"cursor": cursor}, cancelled=cancelled)
            if response.status_code != 200:
                raise SyncError(_message(response, f"下载区里的通知失败（{response.status_code}）"))
            body = response.json()
            if body.get("district_restored"):
                received += district_restored(self.store, result)  # then pushed in this same sync
            received += take_pulled(self.store, body.get("items", []), str(body.get("cursor", cursor)), result)
            if not body.get("more"):
                return received

    # -- history -------------------------------------------------------------------------
    def _start_run(self) -> int:
        with self.store.session() as session:
            for stale in session.exec(select(SyncRun).where(SyncRun.status == "running")):
                stale.status, stale.message = "failed", "上次同步被中断（程序关闭或断电），已在本次继续"
            run = SyncRun(started_at=utcnow())
            session.add(run)
            session.commit()
            return run.id

    def _finish_run(self, run_id: int, status: str, result: SyncResult, message: str) -> None:
        with self.store.session() as session:
            run = session.get(SyncRun, run_id)
            run.finished_at, run.status, run.message = utcnow(), status, message[:1000]
            run.pushed, run.rejected, run.pulled, run.bytes_sent = result.pushed, result.rejected, result.pulled, result.bytes_sent
            session.commit()


@dataclass
class AnswerCounts:
    acked: int = 0
    rejected: list[int] = field(default_factory=list)  # seqs
    stale: int = 0
    requeued: int = 0  # children that went back into the queue because their parent arrived


def record_answer(store: Store, sent: list[int], results: list) -> AnswerCounts:
    """The district's per-row answer to rows ``sent`` (seqs), stamped in one local transaction: the same
    for a network reply and for a reply file brought back on a USB stick. A row the answer does not
    mention stays pending and goes again."""
    answer = {r["seq"]: r for r in results if isinstance(r, dict) and isinstance(r.get("seq"), int)}
    acked, rejected, waits_for, stale = [], {}, {}, {}
    for seq in sent:
        said = answer.get(seq, {})
        status = said.get("status")
        if status in (protocol.APPLIED, protocol.DUPLICATE):
            acked.append(seq)
        elif status == protocol.REJECTED:
            rejected[seq] = str(said.get("reason") or "被拒绝")
            parent = said.get("waits_for")
            if isinstance(parent, dict) and isinstance(parent.get("entity"), str) and isinstance(parent.get("id"), str):
                waits_for[seq] = f"{parent['entity']}:{parent['id']}"[:80]
        elif status == protocol.STALE and isinstance(said.get("server_version"), int):
            stale[seq] = said["server_version"]
    requeued = outbox.record_results(store, acked, rejected, waits_for=waits_for, stale=stale)
    return AnswerCounts(acked=len(acked), rejected=list(rejected), stale=len(stale), requeued=requeued)


def district_restored(store: Store, result: SyncResult) -> int:
    """The district was put back to an older backup after this station last pulled (its cursor is past everything
    the district has): the rows it took since then are gone there, though acknowledged here. Every row goes up again
    (answered duplicate where the district still has it); its items are pulled again from the start, idempotently."""
    log.warning("the district was restored from an older backup: every row is sent again")
    result.resent += outbox.requeue_everything(store, operator="区里恢复备份后重新上传")
    return result.resent


def take_pulled(store: Store, items: list, cursor: str, result: SyncResult) -> int:
    """District items (announcements, rules, dispatches, withdrawals) taken in, and the new pull cursor
    saved with them. Returns how many local changes they made (demands opened or cancelled), to push."""
    district = Context(store, Actor("district", demands.DISTRICT_OPERATOR, Role.admin))
    received = 0
    items = [item for item in items if isinstance(item, dict)]
    for item in items:
        if item.get("entity") == "rules":
            save_rules(store, item.get("body", ""))
            result.pulled += 1
            result.notices += 1
        elif item.get("entity") == "national_mapping":
            save_national_mapping(store, item.get("body", ""))
            result.pulled += 1
            result.notices += 1
        elif item.get("entity") == "dispatch":
            # Idempotent by the dispatch id, so a crash before the cursor is saved re-pulls harmlessly.
            if demands.receive_dispatch(district, item) is not None:
                received += 1
                if (demands.item_body(item) or {}).get("via") in ("pass", "report"):
                    result.handed_in += 1  # 五.2: 转派 down or 上报 up from another tier's ledger
                    result.new_handed.add(str(item.get("id")))
                else:
                    result.dispatched += 1
                result.new_dispatches.add(str(item.get("id")))
            result.pulled += 1
        elif item.get("entity") == "dispatch_progress":
            # What another tier did with a demand handed on from here: one event of it, idempotent by the item's id.
            if demands.receive_progress(district, item) is not None:
                received += 1
                result.progress += 1
            result.pulled += 1
        elif item.get("entity") == "directory":
            demands.receive_directory(district, item)  # whom this ledger may 转派 to or 上报 to; not news to count
        elif item.get("entity") == elsewhere.ITEM:
            # Which of this ledger's volunteers other ledgers register too (#30): the newest replaces the last.
            result.elsewhere += elsewhere.receive(district, item)
        elif item.get("entity") == "dispatch_withdrawn":
            cancelled = demands.receive_withdrawal(district, item)
            if cancelled is not None:
                received += 1
                if cancelled.dispatch_id in result.new_dispatches:
                    # Dispatched and withdrawn between two syncs: kept (cancelled, with the reason) but not
                    # announced as work to do, nor as a withdrawal of work the station never saw.
                    result.new_dispatches.discard(cancelled.dispatch_id)
                    if cancelled.dispatch_id in result.new_handed:
                        result.handed_in -= 1
                    else:
                        result.dispatched -= 1
                else:
                    result.withdrawn += 1
            result.pulled += 1
    with store.session() as session:
        for item in items:
            if item.get("entity") != "announcement":
                continue
            row = session.get(Announcement, item["id"]) or Announcement(id=item["id"], title="", published_at=utcnow())
            row.title, row.body = item["title"], item.get("body", "")
            row.published_at = datetime.fromisoformat(item["published_at"])
            session.add(row)
            changed(session, Announcement.__tablename__)  # the 工作台 shows it until read
            result.pulled += 1
            result.notices += 1
        state = session.get(SyncState, 1)
        state.pull_cursor = cursor
        session.add(state)
        session.commit()
    return received


def _save_published(store: Store, text: str, name: str, check: Callable[[str], object], what: str) -> None:
    """A file the district published (rules, the national mapping), checked, then written whole into the
    data folder before the pull cursor moves past it (a crash re-pulls it; never half a file)."""
    from app.services.errors import ServiceError
    from app.rules import RulesError

    try:
        check(text)
    except (ServiceError, RulesError) as exc:
        log.warning("district %s refused: %s", what, exc)
        return
    write_atomically(store.paths.root / name, text)


def save_national_mapping(store: Store, text: str) -> None:
    """The district's new column mapping for the national system."""
    from app.exchange.national import MAPPING_OVERRIDE, parse_mapping

    _save_published(store, text, MAPPING_OVERRIDE, parse_mapping, "national mapping")


def save_rules(store: Store, text: str) -> None:
    """The district's new quotas, unless they are older than the ones in force here: a district that once published
    an old file (before it refused to) must not roll the station back."""
    from app.rules import OVERRIDE_NAME, RulesError, rules_version, version_in_force

    def check(published: str) -> None:
        version, in_force = rules_version(published), version_in_force(store.paths.root)
        if version < in_force:
            raise RulesError(f"区里发来的规则是第 {version} 版，旧于本站正在使用的第 {in_force} 版，未采用")

    _save_published(store, text, OVERRIDE_NAME, check, "rules")


def history(store: Store, limit: int = 50) -> list[SyncRun]:
    with store.session() as session:
        return list(session.exec(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))
