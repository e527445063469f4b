"""The district's HTTP service (FastAPI): enrollment, batches, files, pull, and the overview pages."""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import asynccontextmanager
import secrets
import threading
import zlib
from pathlib import Path

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, select, text
from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool

from app.changes import to_jsonable

from .. import protocol
from .admin import EnrollRefused, bind_station, token_hash
from .apply import BadRequest, BatchConflict, BatchReused, apply_envelope
from ..protocol import cursor_seq
from .db import TABLES, account, district_behind, pull_page
from . import certificates, people, throttle, tiers, web
from .photos import PhotoStore


log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"请求过大（上限 {limit // 1024} KB），请减少每批的记录数")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"请求过大（上限 {limit // 1024} KB），请减少每批的记录数")
        chunks.append(chunk)
    return b"".join(chunks)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error:
        raise ApiError(400, "bad_gzip", "请求内容不是有效的 gzip 数据") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise ApiError(413, "too_large", "解压后的数据过大")
    return out


# Request bodies as the OpenAPI document declares them (the handlers read and bound the raw body
# themselves, so the schemas are stated here for clients and for schema-driven fuzzing).
ROW_SCHEMA = {
    "type": "object", "required": ["seq", "entity", "id", "version", "payload"],
    "properties": {"seq": {"type": "integer"}, "entity": {"type": "string", "enum": list(protocol.ENTITIES)},
                   "id": {"type": "string", "maxLength": 36}, "op": {"type": "string", "enum": ["insert", "update", "delete"]},
                   "version": {"type": "integer", "minimum": 1}, "payload": {"type": "object"}},
}
BATCH_SCHEMA = {
    "type": "object", "required": ["batch_id", "station_id", "protocol", "rows"],
    "properties": {"batch_id": {"type": "string", "minLength": 8, "maxLength": 36}, "station_id": {"type": "string", "maxLength": 36},
                   "protocol": {"type": "integer"}, "schema": {"type": "string"}, "app_version": {"type": "string"},
                   "rows": {"type": "array", "maxItems": protocol.MAX_BATCH_ROWS, "items": ROW_SCHEMA}},
}
ENROLL_SCHEMA = {
    "type": "object", "required": ["code", "station_id"],
    "properties": {"code": {"type": "string", "maxLength": 64}, "station_id": {"type": "string", "maxLength": 36},
                   "app_version": {"type": "string"},
                   # What the ledger says of itself (#30); a program that sends neither enrolls as before.
                   "level": {"type": "string", "enum": ["station", "institute", "center"]},
                   "street": {"type": "string", "maxLength": 100},
                   # The station's Ed25519 public key, base64url (#26): its certificates verify by it.
                   "public_key": {"type": "string", "maxLength": 43}},
}


DECODING = 4  # batches unpacked and parsed at once in one server process (its memory: about 4 × 60 MB at worst)


def _body_schema(schema: dict, media: str = "application/json") -> dict:
    return {"requestBody": {"required": True, "content": {media: {"schema": schema}}}}


def parse_json(raw: bytes):
    """JSON with its shape bounded before it is built: a few KB of gzip can unpack into millions of
    tiny objects (a gigabyte of Python dicts) or nest deeper than the parser's stack."""
    if raw.count(b"{") + raw.count(b"[") > protocol.MAX_JSON_CONTAINERS:
        raise ApiError(413, "too_large", "请求的数据结构过于复杂，请减少每批的记录数")
    try:
        return json.loads(raw)
    except RecursionError:
        raise ApiError(400, "bad_json", "请求内容嵌套过深") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "请求内容不是有效的 JSON") from None


def refuse_lone_surrogates(raw: bytes) -> None:
    """"\\ud800" alone is valid JSON but no character: hashed as an enrolment code it failed deep inside (a 500,
    #27). A batch keeps its per-row answers instead (such a row is refused on its own, tests/test_sync_trust.py)."""
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(json.loads(raw)):
        raise ApiError(400, "bad_json", "请求内容含有无效的字符（单独的代理码位）")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # only then is a lone surrogate possible: look closer


def _has_lone_surrogate(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def create_app(engine: Engine, files_dir: Path | None = None, *, behind_https: bool = False, judge_every_s: float = 0) -> FastAPI:
    """``files_dir``: keep photos in that folder (it must be shared by every server process); by default
    (None) they are kept in the database, which every process already shares (docs/deploy.md).
    ``judge_every_s``: judge the running month's 五有 ahead of the staff page this often (0: never)."""
    files_dir = Path(files_dir) if files_dir else None
    if files_dir is not None:
        files_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(_api: FastAPI):
        judge = None
        if judge_every_s > 0:
            from .evaluations import AheadJudge

            judge = _api.state.judge = AheadJudge(engine, judge_every_s, first_after_s=min(5.0, judge_every_s))
            judge.start()
        try:
            yield
        finally:
            if judge is not None:
                judge.stop()

    # No public /docs or /redoc (they load scripts from a CDN); /openapi.json is for logged-in staff (web.py).
    api = FastAPI(title="实践站台账 区级同步服务", version=str(protocol.PROTOCOL_VERSION),
                  description="新时代文明实践站台账的区级服务：接收各站同步的数据，展示各站情况。",
                  docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    api.state.engine = engine
    api.state.files_dir = files_dir
    photos = api.state.photos = PhotoStore(engine, files_dir)
    api.state.behind_https = behind_https

    @api.middleware("http")
    async def _security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in web.SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # Nothing kept by the browser unless an answer says otherwise (a photo, by its hash): after 退出, the Back
        # button must not show a staff page with every figure from the cache (#30).
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @api.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError):
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status, headers=exc.headers)

    @api.exception_handler(BadRequest)
    async def _bad_request(_request: Request, exc: BadRequest):
        return JSONResponse({"code": "bad_batch", "message": str(exc)}, status_code=422)

    def check_protocol(request: Request) -> None:
        raw = request.headers.get(protocol.HEADER_PROTOCOL, "0")
        # isascii: "²".isdigit() is True and int("²") fails
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) < protocol.MIN_CLIENT_PROTOCOL:
            raise ApiError(426, "client_too_old", "本站程序版本过旧，无法与区里同步，请升级实践站台账程序")

    def authenticate(request: Request):
        check_protocol(request)
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise ApiError(401, "no_token", "缺少同步令牌，请先在“同步”页登记本站")
        with engine.connect() as conn:
            acct = conn.execute(select(account).where(account.c.token_hash == token_hash(header[7:].strip()))).first()
        if acct is None:
            raise ApiError(401, "bad_token", "同步令牌无效，请联系区文明实践中心重新登记本站")
        if acct.revoked:
            raise ApiError(403, "revoked", "本站的同步权限已被区文明实践中心停用，请联系区里")
        return acct

    @api.get("/healthz")
    def healthz():
        """For the district's monitoring (docs/deploy.md): 200 when the program and its database answer, 503
        naming the cause when the database does not. Nothing about any station."""
        from app import __version__

        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except sa_exc.SQLAlchemyError as exc:
            log.warning("healthz: database unreachable: %s", exc.__class__.__name__)
            return JSONResponse({"status": "error", "version": __version__,
                                 "database": f"无法连接数据库（{exc.__class__.__name__}）"}, status_code=503)
        return {"status": "ok", "version": __version__, "protocol": protocol.PROTOCOL_VERSION, "database": "ok"}

    @api.get(protocol.PING)
    def ping():
        return {"protocol": protocol.PROTOCOL_VERSION, "min_client_protocol": protocol.MIN_CLIENT_PROTOCOL}

    @api.post(protocol.ENROLL, openapi_extra=_body_schema(ENROLL_SCHEMA))
    async def enroll(request: Request):
        check_protocol(request)
        raw = await read_body(request, 64 * 1024)
        body = parse_json(raw)
        refuse_lone_surrogates(raw)
        try:
            code, station_id = body["code"], body["station_id"]
        except (KeyError, TypeError):
            raise ApiError(422, "bad_request", "登记请求格式错误") from None
        if not isinstance(code, str) or not isinstance(station_id, str) or not 1 <= len(station_id) <= 36 or len(code) > 64:
            raise ApiError(422, "bad_request", "登记请求格式错误")
        level, street = body.get("level"), body.get("street")
        if level is not None and level not in ("station", "institute", "center"):
            raise ApiError(422, "bad_request", "登记请求格式错误")
        if street is not None and (not isinstance(street, str) or len(street) > 100):
            raise ApiError(422, "bad_request", "登记请求格式错误")
        key = body.get("public_key")
        if key is not None and not (isinstance(key, str) and certificates.KEY.fullmatch(key)):
            raise ApiError(422, "bad_request", "登记请求格式错误")
        addr = request.client.host if request.client else "unknown"
        answer = await run_in_threadpool(enroll_station, "".join(code.split()).upper(), station_id, addr, level, street)  # as printed: "ABCD 2345"
        if key:
            await run_in_threadpool(certificates.register_key, engine, station_id, key)
        return answer

    def enroll_station(code: str, station_id: str, addr: str = "", level: str | None = None, street: str | None = None) -> dict:
        try:
            return enroll_with_code(code, station_id, addr, level, street)
        except ApiError as exc:
            if exc.code == "bad_code":  # counted after the transaction, in one of its own
                throttle.failed(engine, throttle.ENROLL_ADDR, addr)
            raise

    def enroll_with_code(code: str, station_id: str, addr: str, level: str | None = None, street: str | None = None) -> dict:
        # Codes are guessed at most ENROLL_ADDR times per address per quarter hour, across every process.
        wait = throttle.locked_for(engine, throttle.ENROLL_ADDR, addr)
        if wait:
            raise ApiError(429, "too_many_attempts", throttle.wait_text(wait), headers={"Retry-After": str(wait)})
        token = secrets.token_urlsafe(32)
        with engine.begin() as conn:
            acct = conn.execute(select(account).where(account.c.enroll_code_hash == token_hash(code))).first()
            if acct is None or acct.revoked:
                raise ApiError(403, "bad_code", "登记码无效或已使用，请向区文明实践中心索取新的登记码")
            try:
                bind_station(conn, acct, station_id, token_hash(token), level=level, street=street)
            except EnrollRefused as exc:
                raise ApiError(409, "already_enrolled", str(exc)) from None
        return {"token": token, "account_name": acct.name}

    decoding = api.state.decoding = threading.BoundedSemaphore(DECODING)

    @api.post(protocol.BATCHES, openapi_extra=_body_schema(BATCH_SCHEMA))
    async def batches(request: Request):
        # Only reading the body happens on the event loop; parsing and the database run in the
        # thread pool, so one station's batch never stalls another's request.
        acct = await run_in_threadpool(authenticate, request)
        raw = await read_body(request, protocol.MAX_BODY_BYTES)
        gzipped = request.headers.get("content-encoding", "").lower() == "gzip"
        answer = await run_in_threadpool(store_batch, acct, raw, gzipped)
        # Serialised here, not by FastAPI's encoder (which walks every per-row answer: 2 ms a batch of 500).
        return Response(json.dumps(answer, ensure_ascii=False, separators=(",", ":")), media_type="application/json")

    def store_batch(acct, raw: bytes, gzipped: bool) -> dict:
        # A few KB of gzip unpack into 6 MB of JSON and up to 50,000 objects (~60 MB of Python): sixteen at once
        # took one worker to 1 GB (#27). At most DECODING batches are unpacked, parsed and applied at a time per
        # process; the rest wait their turn in the thread pool (a station's batches are one at a time anyway).
        with decoding:
            return _store_batch(acct, raw, gzipped)

    def _store_batch(acct, raw: bytes, gzipped: bool) -> dict:
        if gzipped:
            raw = gunzip_limited(raw, protocol.MAX_JSON_BYTES)
        elif len(raw) > protocol.MAX_JSON_BYTES:
            raise ApiError(413, "too_large", "请求过大，请减少每批的记录数")
        envelope = parse_json(raw)
        digest = hashlib.sha256(raw).hexdigest()
        if not isinstance(envelope, dict):
            raise ApiError(422, "bad_batch", "批次格式错误")
        if envelope.get("protocol") != protocol.PROTOCOL_VERSION and (
                not isinstance(envelope.get("protocol"), int) or envelope["protocol"] < protocol.MIN_CLIENT_PROTOCOL):
            raise ApiError(426, "client_too_old", "本站程序版本过旧，无法与区里同步，请升级实践站台账程序")
        try:
            return apply_envelope(engine, acct, envelope, digest)
        except PermissionError as exc:
            raise ApiError(403, "wrong_station", str(exc)) from None
        except BatchReused as exc:
            raise ApiError(409, "batch_reused", str(exc)) from None
        except BatchConflict as exc:
            raise ApiError(409, "conflict", str(exc)) from None

    def check_hash(sha: str) -> str:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ApiError(422, "bad_hash", "文件哈希格式错误")
        return sha

    @api.head(protocol.FILES + "/{sha}")
    def has_file(sha: str, request: Request):
        authenticate(request)
        check_hash(sha)
        return Response(status_code=200 if photos.has(sha) else 404)

    @api.put(protocol.FILES + "/{sha}", openapi_extra=_body_schema({"type": "string", "format": "binary"}, "application/octet-stream"))
    async def put_file(sha: str, request: Request):
        acct = await run_in_threadpool(authenticate, request)
        check_hash(sha)
        data = await read_body(request, protocol.MAX_FILE_BYTES)
        return await run_in_threadpool(store_file, acct, sha, data)

    def store_file(acct, sha: str, data: bytes) -> Response:
        if hashlib.sha256(data).hexdigest() != sha:
            raise ApiError(422, "hash_mismatch", "文件内容与哈希不符，可能在传输中损坏，请重试")
        photos.put(acct.id, sha, data)
        return Response(status_code=201)

    @api.get(protocol.PULL)
    def pull(request: Request, cursor: str = ""):
        acct = authenticate(request)
        cursor = cursor[:40]
        tiers.refresh_directory(engine, acct)  # whom this ledger may 转派 to or 上报 to, if it changed (五.2)
        people.refresh_note(engine, acct)  # its volunteers registered in other ledgers too, if that changed (#30)
        with engine.connect() as conn:
            restored = district_behind(conn, cursor)
            if restored:
                log.warning("account %s pulls from %r, which this district did not issue: it was restored from an older "
                            "backup; the station sends everything again", acct.id, cursor)
                cursor = "0"
            items, next_cursor = pull_page(conn, acct.station_id, cursor_seq(cursor)[0])
        answer = {"cursor": next_cursor or cursor or "0", "items": items, "more": len(items) == protocol.PULL_PAGE}
        if restored:
            answer["district_restored"] = True
        return answer

    @api.post(protocol.CERTIFICATES)
    async def report_certificates(request: Request):
        acct = await run_in_threadpool(authenticate, request)
        body = parse_json(await read_body(request, 512 * 1024))
        try:
            return await run_in_threadpool(certificates.receive, engine, acct, body)
        except certificates.Refused as exc:
            raise ApiError(422, "bad_certificates", str(exc)) from None

    @api.get(protocol.ROWS)
    def own_rows(request: Request, entity: str = "", after: str = ""):
        """This station's rows of one kind as the district has them, by id, a page at a time: a station
        restored from an older backup fetches what it no longer has (it keeps them in its 回收站)."""
        acct = authenticate(request)
        table = TABLES.get(entity)
        if table is None or len(after) > 36 or not after.isascii():
            raise ApiError(422, "bad_request", "请求参数不正确：数据类型")
        with engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.station_id == acct.station_id, table.c.id > after)
                                .order_by(table.c.id).limit(protocol.ROWS_PAGE)).all()
        return {"rows": [{k: to_jsonable(v) for k, v in r._mapping.items()} for r in rows], "more": len(rows) == protocol.ROWS_PAGE}

    web.install(api)
    return api
