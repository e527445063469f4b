"""签到 on the station's own network: volunteers sign in and out on their phones, no app, no internet.

The clerk starts it from an activity; a small web server (the standard library's, so the village bundle
needs nothing more) listens on the LAN address the clerk picks — never on every interface — at a URL
with one random token per activity (expiring when the clerk stops it or after 12 hours). Phones open
the URL from a QR code. What phones send is kept apart, in ``signin.db`` in the data folder: nothing
enters the ledger until the clerk presses 确认签到结果, and then it goes through the same validation
and change capture as hand entry (``confirm``). A person not yet registered leaves name, phone and ID
number as an arrival (待确认), never straight into the registry; the clerk may reject any arrival.

Pages never echo anyone else's name or phone: only the person just matched, masked (王*英).
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import logging
import secrets
import socket
import sqlite3
import sys
import threading
import time as _time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from sqlmodel import select

from app.db import Store
from app.files import write_atomically
from app.models import Activity, Volunteer
from app.privacy import mask_phone
from app.services import activities as activity_service
from app.services import volunteers as volunteer_service
from app.services.activities import IMAGE_MAGIC, MAX_PHOTO_BYTES
from app.services.context import Context
from app.services.errors import ServiceError, ValidationError
from app.services.idcard import IdNumberError, parse_resident_id
from app.services.phone import PhoneError, normalize_phone
from app.signing import mask_name  # 王秀英 → 王*英: a person recognises themselves, no one learns who else came

log = logging.getLogger(__name__)

SIGNIN_DB = "signin.db"
PHOTO_DIR = "signin-photos"
SESSION_HOURS = 12
MAX_FORM_BYTES = 8 * 1024
REQUESTS_PER_MINUTE = 120  # per phone (address): a whole family on one phone still gets through
FAILURES_PER_WINDOW, FAILURE_WINDOW = 10, 600  # wrong name/tail guesses per address per 10 minutes
PER_PHONE = 1  # people one phone (address) may sign in, unless the clerk allows more (a family's phone)
ARRIVALS_UNHELD = 10  # new arrivals a session lists by itself; further ones wait for the clerk's 批准 on the PC
PHOTOS_PER_PHONE = 10  # photos one phone may send to a session
PHOTO_BYTES_PER_SESSION = 200 * 1024 * 1024  # all photos of one activity's sign-in, as stored (re-encoded)
PHOTO_LONGEST_SIDE = 2000  # px: a photo is decoded and saved anew at most this size
SCAN_AGAIN_MINUTES = 10  # a card scanned again this soon after signing in is a repeat, not the sign-out

SCHEMA = """
CREATE TABLE IF NOT EXISTS signin_session (
    id TEXT PRIMARY KEY, activity_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, host TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, stopped_at TEXT, confirmed_at TEXT);
CREATE TABLE IF NOT EXISTS signin_entry (
    id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, kind TEXT NOT NULL, volunteer_id TEXT,
    name TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '', id_number TEXT NOT NULL DEFAULT '',
    signed_in_at TEXT NOT NULL, signed_out_at TEXT, status TEXT NOT NULL DEFAULT 'pending');
CREATE TABLE IF NOT EXISTS signin_photo (
    sha256 TEXT NOT NULL, session_id TEXT NOT NULL, size INTEGER NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', PRIMARY KEY (sha256, session_id));
"""
# Columns added after the first release: (table, column, definition), added to an older signin.db on opening.
LATER_COLUMNS = (
    ("signin_entry", "device", "TEXT NOT NULL DEFAULT ''"),  # the phone's address on the station's network
    ("signin_session", "per_phone", f"INTEGER NOT NULL DEFAULT {PER_PHONE}"),
    ("signin_photo", "device", "TEXT NOT NULL DEFAULT ''"),
)


class SigninError(ServiceError):
    """Refused, with the reason in Chinese (for the clerk, or shown on the phone)."""


def lan_addresses() -> list[str]:
    """This PC's IPv4 addresses a phone on the same network can reach (private ranges first), loopback last."""
    found: set[str] = set()
    if sys.platform == "win32":  # Windows answers its own name from its adapters; elsewhere it may ask a DNS server
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
                found.add(info[4][0])
        except OSError:
            pass
    try:  # the address the default route would use (no packet is sent by connect() on UDP)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    usable = [a for a in found if not ipaddress.ip_address(a).is_loopback and not ipaddress.ip_address(a).is_link_local]
    usable.sort(key=lambda a: (not ipaddress.ip_address(a).is_private, a))
    return usable + ["127.0.0.1"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass
class Entry:
    id: int
    kind: str  # volunteer | arrival
    volunteer_id: str | None
    name: str
    phone: str
    id_number: str
    signed_in_at: datetime
    signed_out_at: datetime | None
    status: str  # pending | held (an arrival waiting for the clerk's 批准) | rejected | confirmed
    device: str = ""  # the phone's address


def service_hours(signed_in: datetime, signed_out: datetime | None, activity: Activity) -> float:
    """Hours from the two times, capped by the activity's: arriving early or leaving late does not count,
    and someone who never signed out is counted to the activity's end (or given nothing without one)."""
    start = datetime.combine(activity.date, activity.start_time) if activity.start_time else None
    end = datetime.combine(activity.date, activity.end_time) if activity.end_time else None
    begin = max(signed_in, start) if start else signed_in
    finish = signed_out or end
    if finish is None:
        return 0.0
    if end is not None:
        finish = min(finish, end)
    seconds = (finish - begin).total_seconds()
    return max(0.0, round(seconds / 3600 * 2) / 2)  # to the half hour, as the ledger is kept


class SigninBook:
    """The sign-in working data (sqlite3 in the data folder, apart from the ledger): thread-safe."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / SIGNIN_DB
        self.photos = Path(data_dir) / PHOTO_DIR
        self.lock = threading.Lock()
        with self._connect() as conn:
            conn.executescript(SCHEMA)
            for table, column, definition in LATER_COLUMNS:
                if column not in {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def run(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self.lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            rows = conn.execute(sql, params).fetchall()
            conn.execute("COMMIT")
            return rows

    def atomically(self, work: Callable[[sqlite3.Connection], object]):
        with self.lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                out = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return out

    # -- sessions ----------------------------------------------------------------------------------
    def open_session(self, activity_id: str, host: str, now: datetime) -> tuple[str, str]:
        """The activity's sign-in session (its unconfirmed one continued, or a new one): (session id, URL token)."""
        token = secrets.token_urlsafe(18)
        session_id = secrets.token_hex(8)

        def work(conn):
            # Started again before the clerk confirmed (the program was closed, the network changed): the same
            # list goes on, under a new token, so every earlier link stops working.
            earlier = conn.execute("SELECT id FROM signin_session WHERE activity_id = ? AND confirmed_at IS NULL "
                                   "ORDER BY created_at DESC LIMIT 1", (activity_id,)).fetchone()
            token_hash = hashlib.sha256(token.encode()).hexdigest()
            expires = _iso(now + timedelta(hours=SESSION_HOURS))
            if earlier is not None:
                conn.execute("UPDATE signin_session SET token_hash = ?, host = ?, expires_at = ?, stopped_at = NULL WHERE id = ?",
                             (token_hash, host, expires, earlier["id"]))
                return earlier["id"]
            conn.execute("INSERT INTO signin_session (id, activity_id, token_hash, host, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (session_id, activity_id, token_hash, host, _iso(now), expires))
            return session_id
        return self.atomically(work), token

    def session_for_token(self, token: str, now: datetime) -> sqlite3.Row | None:
        """The live session the URL's token opens; None when unknown, stopped or expired."""
        rows = self.run("SELECT * FROM signin_session WHERE token_hash = ?", (hashlib.sha256(token.encode()).hexdigest(),))
        if not rows:
            return None
        row = rows[0]
        if row["stopped_at"] or _parse(row["expires_at"]) <= now:
            return None
        return row

    def stop(self, session_id: str, now: datetime) -> None:
        self.run("UPDATE signin_session SET stopped_at = COALESCE(stopped_at, ?) WHERE id = ?", (_iso(now), session_id))

    def latest_session(self, activity_id: str) -> sqlite3.Row | None:
        rows = self.run("SELECT * FROM signin_session WHERE activity_id = ? AND confirmed_at IS NULL ORDER BY created_at DESC LIMIT 1",
                        (activity_id,))
        return rows[0] if rows else None

    def entries(self, session_id: str) -> list[Entry]:
        return [Entry(r["id"], r["kind"], r["volunteer_id"], r["name"], r["phone"], r["id_number"], _parse(r["signed_in_at"]),
                      _parse(r["signed_out_at"]), r["status"], r["device"])
                for r in self.run("SELECT * FROM signin_entry WHERE session_id = ? ORDER BY id", (session_id,))]

    def photos_of(self, session_id: str) -> list[Path]:
        return [self.photos / f"{r['sha256']}.jpg"
                for r in self.run("SELECT sha256 FROM signin_photo WHERE session_id = ? AND status = 'pending' ORDER BY received_at", (session_id,))]

    def set_status(self, entry_id: int, status: str) -> None:
        """``rejected`` (不记入), or ``pending`` for a held arrival the clerk 批准s."""
        self.run("UPDATE signin_entry SET status = ? WHERE id = ? AND status != 'confirmed'", (status, entry_id))

    def per_phone(self, session_id: str) -> int:
        rows = self.run("SELECT per_phone FROM signin_session WHERE id = ?", (session_id,))
        return rows[0]["per_phone"] if rows else PER_PHONE

    def set_per_phone(self, session_id: str, people: int) -> None:
        """How many people one phone may sign in (the clerk allows a family's phone to sign in its members)."""
        self.run("UPDATE signin_session SET per_phone = ? WHERE id = ?", (max(1, min(int(people), 20)), session_id))


# -- what the phone asks ------------------------------------------------------------------------------

class Refused(Exception):
    """Shown on the phone as is (Chinese); ``failure`` counts towards the address's guessing limit."""

    def __init__(self, message: str, *, failure: bool = False, status: int = 200):
        super().__init__(message)
        self.failure, self.status = failure, status


class SigninService:
    """One activity's sign-in: identification, sign in/out, arrivals, photos. Used by the HTTP handler."""

    def __init__(self, store: Store, book: SigninBook, session_id: str, activity_id: str, clock: Callable[[], datetime]):
        self.store, self.book, self.session_id, self.activity_id, self.clock = store, book, session_id, activity_id, clock

    def _find(self, name: str, tail: str, number: str) -> tuple[str, str | None, str]:
        """(kind, volunteer id, name) of the person meant: a volunteer by name and the last 4 digits of the phone
        (the 志愿者编号 only tells apart two with the same name and tail: numbers are sequential, so a number
        alone would let one phone sign in everyone, #26); else an arrival of this session by name and tail.
        Never says who else exists."""
        name, tail, number = name.strip(), tail.strip(), number.strip().upper()
        if not name or not (len(tail) == 4 and tail.isdigit()):
            raise Refused("请填写姓名和手机号后4位")
        with self.store.session() as session:
            found = session.exec(select(Volunteer).where(Volunteer.station_id == self.store.station_id, Volunteer.name == name,
                                                         Volunteer.phone_tail == tail, Volunteer.deleted == False)).all()
        if len(found) > 1 and number:
            found = [v for v in found if v.number == number]
        if len(found) == 1:
            return "volunteer", found[0].id, found[0].name
        if len(found) > 1:
            raise Refused("有同名且手机尾号相同的志愿者，请同时填写志愿者编号，或请专管员帮忙")
        for e in self.book.entries(self.session_id):
            if e.kind == "arrival" and e.name == name and e.phone.endswith(tail) and e.status != "rejected":
                return "arrival", None, e.name
        raise Refused("没有找到：请核对姓名和手机号后4位。还没有登记为志愿者的，请在下方“新来的志愿者”中填写", failure=True)

    def _people_of(self, conn, device: str) -> set:
        """Who this phone has signed in (or registered as arriving) in this session: volunteer ids, arrivals' ID numbers."""
        return {row["volunteer_id"] or row["id_number"] for row in conn.execute(
            "SELECT volunteer_id, id_number FROM signin_entry WHERE session_id = ? AND device = ? AND status != 'rejected'",
            (self.session_id, device))}

    def _check_phone(self, conn, device: str, person: str, masked: str) -> None:
        """One phone signs in one person (or as many as the clerk allows), arrivals included (#26)."""
        if not device:
            return
        mine = self._people_of(conn, device)
        allowed = conn.execute("SELECT per_phone FROM signin_session WHERE id = ?", (self.session_id,)).fetchone()["per_phone"]
        if person not in mine and len(mine) >= allowed:
            raise Refused(f"这部手机已为{'别人' if mine else ''}签到过，一部手机只能为 {allowed} 人签到。{masked}请用自己的手机，"
                          "或请专管员在电脑上允许一部手机为家人代签", failure=True)

    def sign_in(self, name: str = "", tail: str = "", number: str = "", device: str = "") -> str:
        kind, volunteer_id, real_name = self._find(name, tail, number)
        now = self.clock()
        if kind == "arrival":
            raise Refused(f"{mask_name(real_name)}：您已提交登记，到场已记录，请等待专管员确认")

        def work(conn):
            earlier = conn.execute("SELECT signed_in_at FROM signin_entry WHERE session_id = ? AND volunteer_id = ? AND status != 'rejected'",
                                   (self.session_id, volunteer_id)).fetchone()
            if earlier is not None:
                return f"{mask_name(real_name)}：您已于 {_parse(earlier['signed_in_at']):%H:%M} 签到，不用重复签到"
            self._check_phone(conn, device, volunteer_id, mask_name(real_name))
            conn.execute("INSERT INTO signin_entry (session_id, kind, volunteer_id, name, signed_in_at, device) VALUES (?, 'volunteer', ?, ?, ?, ?)",
                         (self.session_id, volunteer_id, real_name, _iso(now), device))
            return f"{mask_name(real_name)}：签到成功（{now:%H:%M}）。活动结束离开时请再打开本页签退"
        return self.book.atomically(work)

    def sign_out(self, name: str = "", tail: str = "", number: str = "", device: str = "") -> str:
        kind, volunteer_id, real_name = self._find(name, tail, number)
        now = self.clock()

        def work(conn):
            if kind == "volunteer":
                row = conn.execute("SELECT id, signed_out_at, device FROM signin_entry WHERE session_id = ? AND volunteer_id = ? "
                                   "AND status != 'rejected'", (self.session_id, volunteer_id)).fetchone()
            else:
                row = conn.execute("SELECT id, signed_out_at, device FROM signin_entry WHERE session_id = ? AND kind = 'arrival' AND name = ? "
                                   "AND substr(phone, -4) = ? AND status != 'rejected'", (self.session_id, real_name, tail.strip())).fetchone()
            if row is None:
                return f"{mask_name(real_name)}：您还没有签到，请先签到"
            if row["signed_out_at"]:
                return f"{mask_name(real_name)}：您已于 {_parse(row['signed_out_at']):%H:%M} 签退"
            if device and row["device"] and row["device"] != device:
                raise Refused(f"{mask_name(real_name)}：请用签到时的手机签退，或请专管员帮忙", failure=True)
            conn.execute("UPDATE signin_entry SET signed_out_at = ? WHERE id = ?", (_iso(now), row["id"]))
            return f"{mask_name(real_name)}：签退成功（{now:%H:%M}），感谢您的服务！"
        return self.book.atomically(work)

    def arrive(self, name: str, phone: str, id_number: str, device: str = "") -> str:
        name = name.strip()
        if not name or len(name) > 50:
            raise Refused("姓名：请填写真实姓名（50字以内）")
        try:
            phone = normalize_phone(phone)
        except PhoneError:
            phone = ""
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            raise Refused("手机号：应为以1开头的11位数字")
        try:
            parsed = parse_resident_id(id_number)
        except IdNumberError as exc:
            raise Refused(f"身份证号：{exc}") from None
        now = self.clock()

        def work(conn):
            if conn.execute("SELECT 1 FROM signin_entry WHERE session_id = ? AND kind = 'arrival' AND id_number = ? AND status != 'rejected'",
                            (self.session_id, parsed.number)).fetchone():
                return f"{mask_name(name)}：您已提交过，请等待专管员确认"
            self._check_phone(conn, device, parsed.number, mask_name(name))
            listed = conn.execute("SELECT count(*) FROM signin_entry WHERE session_id = ? AND kind = 'arrival' AND status != 'rejected'",
                                  (self.session_id,)).fetchone()[0]
            status = "pending" if listed < ARRIVALS_UNHELD else "held"  # many new faces at once: the clerk looks first
            conn.execute("INSERT INTO signin_entry (session_id, kind, name, phone, id_number, signed_in_at, device, status) "
                         "VALUES (?, 'arrival', ?, ?, ?, ?, ?, ?)", (self.session_id, name, phone, parsed.number, _iso(now), device, status))
            return f"{mask_name(name)}：已提交（{now:%H:%M}），专管员确认后登记为志愿者并记入本次活动"
        return self.book.atomically(work)

    def scan(self, text: str) -> str:
        """A 志愿者证 read by a USB scanner at the PC (it types the card's code and Enter): the first scan signs the
        holder in, the next signs them out. Only cards this station signed are taken (#26)."""
        from app import signing
        from app.reports.cards import CARD_PREFIX, card_message

        parts = text.strip().split("|")
        if len(parts) != 4 or parts[0] != CARD_PREFIX:
            raise Refused("这不是志愿者证的二维码")
        _prefix, code, number, signature = parts
        with self.store.session() as session:
            key = signing.public_key(session)
            session.commit()
            if code != signing.station_code(self.store.station_id or "") or not signing.verify(key, card_message(code, number), signature):
                raise Refused("这张志愿者证不是本站制作的，或已损坏，请用姓名和手机号签到")
            v = session.exec(select(Volunteer).where(Volunteer.station_id == self.store.station_id, Volunteer.number == number,
                                                     Volunteer.deleted == False)).first()
        if v is None:
            raise Refused(f"志愿者 {number} 已不在本站名册中")
        now = self.clock()
        with self.store.session() as session:
            day = session.get(Activity, self.activity_id).date
        if day != now.date():
            raise Refused(f"这次活动是 {day.month}月{day.day}日 的，今天不能为它扫码签到")

        def work(conn):
            row = conn.execute("SELECT id, signed_in_at, signed_out_at FROM signin_entry WHERE session_id = ? AND volunteer_id = ? "
                               "AND status != 'rejected'", (self.session_id, v.id)).fetchone()
            if row is not None and not row["signed_out_at"] and now - _parse(row["signed_in_at"]) < timedelta(minutes=SCAN_AGAIN_MINUTES):
                # a double beep, or a second try: not a sign-out with no time served
                return f"{v.name}（{v.number}）已于 {_parse(row['signed_in_at']):%H:%M} 签到，不用重复扫码；离开时再扫一次签退"
            if row is None:
                conn.execute("INSERT INTO signin_entry (session_id, kind, volunteer_id, name, signed_in_at, device) "
                             "VALUES (?, 'volunteer', ?, ?, ?, '扫码')", (self.session_id, v.id, v.name, _iso(now)))
                return f"{v.name}（{v.number}）签到成功（{now:%H:%M}）"
            if row["signed_out_at"]:
                return f"{v.name}（{v.number}）已于 {_parse(row['signed_out_at']):%H:%M} 签退"
            conn.execute("UPDATE signin_entry SET signed_out_at = ? WHERE id = ?", (_iso(now), row["id"]))
            return f"{v.name}（{v.number}）签退成功（{now:%H:%M}）"
        return self.book.atomically(work)

    def add_photo(self, data: bytes, device: str = "") -> str:
        """A photo from a phone: decoded and saved anew as JPEG (anything that does not decode as an image is
        refused — a file that only starts like one is not a photo), at most ``PHOTOS_PER_PHONE`` per phone and
        ``PHOTO_BYTES_PER_SESSION`` per activity (#26)."""
        if len(data) > MAX_PHOTO_BYTES:
            raise Refused("照片超过20MB，请重新拍摄", status=413)
        if not data.startswith(IMAGE_MAGIC):
            raise Refused("这不是照片（支持 JPG、PNG）", status=415)
        jpeg = _reencoded(data)
        if jpeg is None:
            raise Refused("这不是照片（支持 JPG、PNG），或照片已损坏", status=415)
        sha = hashlib.sha256(jpeg).hexdigest()

        def work(conn):
            if device and conn.execute("SELECT count(*) FROM signin_photo WHERE session_id = ? AND device = ?",
                                       (self.session_id, device)).fetchone()[0] >= PHOTOS_PER_PHONE:
                raise Refused(f"每部手机最多上传 {PHOTOS_PER_PHONE} 张照片", status=429)
            stored = conn.execute("SELECT coalesce(sum(size), 0) FROM signin_photo WHERE session_id = ?", (self.session_id,)).fetchone()[0]
            if stored + len(jpeg) > PHOTO_BYTES_PER_SESSION:
                raise Refused("本次活动的照片已经够多了，请把照片交给专管员", status=413)
            self.book.photos.mkdir(parents=True, exist_ok=True)
            target = self.book.photos / f"{sha}.jpg"
            if not target.exists():
                write_atomically(target, jpeg)
            conn.execute("INSERT OR IGNORE INTO signin_photo (sha256, session_id, size, received_at, device) VALUES (?, ?, ?, ?, ?)",
                         (sha, self.session_id, len(jpeg), _iso(self.clock()), device))
        self.book.atomically(work)
        return "照片已上传，专管员确认后加入活动照片"


def _reencoded(data: bytes) -> bytes | None:
    """The picture in ``data`` decoded (Pillow) and written anew as a JPEG of at most PHOTO_LONGEST_SIDE px, with
    no metadata carried over; None if it is not a picture Pillow can decode."""
    from io import BytesIO

    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as probe:
            probe.verify()  # a truncated or forged file fails here
        with Image.open(BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG", "GIF", "BMP", "WEBP"):
                return None
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_LONGEST_SIDE, PHOTO_LONGEST_SIDE))
            out = BytesIO()
            image.save(out, "JPEG", quality=85)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


# -- the web server -----------------------------------------------------------------------------------

PAGE_STYLE = """
*{box-sizing:border-box}body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
margin:0;background:#f6f6f6;color:#222;font-size:18px}header{background:#b71c1c;color:#fff;padding:14px 16px}
header h1{font-size:20px;margin:0}header p{margin:4px 0 0;font-size:15px}main{padding:12px 14px;max-width:520px;margin:auto}
section{background:#fff;border-radius:8px;padding:14px;margin:12px 0}h2{font-size:19px;margin:0 0 10px}
label{display:block;margin:10px 0 4px;font-size:16px}input{width:100%;font-size:20px;padding:10px;border:1px solid #bbb;border-radius:6px;min-height:48px}
button{width:100%;font-size:20px;min-height:52px;margin-top:12px;border:0;border-radius:6px;background:#b71c1c;color:#fff}
button.second{background:#455a64}.row{display:flex;gap:10px}.row button{flex:1}
p.msg{background:#e8f5e9;border-left:5px solid #2e7d32;padding:12px;font-size:19px}p.bad{background:#ffebee;border-left:5px solid #c62828;padding:12px}
small{color:#666;font-size:14px}
"""

PHOTO_SCRIPT = """
document.getElementById('photo').addEventListener('change', async function (e) {
  var status = document.getElementById('photo-status');
  var file = e.target.files[0]; if (!file) return;
  status.textContent = '正在压缩并上传……';
  try {
    var img = await createImageBitmap(file);
    var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
    var canvas = document.createElement('canvas');
    canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    var blob = await new Promise(function (done) { canvas.toBlob(done, 'image/jpeg', 0.85); });
    var answer = await fetch(location.pathname.replace(/\\/$/, '') + '/photo', {method: 'POST', body: blob, headers: {'Content-Type': 'image/jpeg'}});
    status.textContent = await answer.text();
  } catch (err) { status.textContent = '上传失败，请重试'; }
});
"""


class _Limiter:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits: dict[str, deque] = {}
        self.failures: dict[str, deque] = {}

    def _count(self, table: dict[str, deque], key: str, window: float, limit: int, add: bool) -> bool:
        now = _time.monotonic()
        with self.lock:
            q = table.setdefault(key, deque())
            while q and q[0] < now - window:
                q.popleft()
            if add:
                q.append(now)
            return len(q) > limit

    def too_many(self, addr: str) -> bool:
        return self._count(self.hits, addr, 60, REQUESTS_PER_MINUTE, True)

    def locked(self, addr: str) -> bool:
        return self._count(self.failures, addr, FAILURE_WINDOW, FAILURES_PER_WINDOW - 1, False)

    def failed(self, addr: str) -> None:
        self._count(self.failures, addr, FAILURE_WINDOW, FAILURES_PER_WINDOW, True)


class SigninServer:
    """The local web server for one activity. ``start()`` returns the URL the QR code carries."""

    def __init__(self, store: Store, activity_id: str, host: str, port: int = 0, *, clock: Callable[[], datetime] = datetime.now):
        if host in ("", "0.0.0.0", "::"):  # noqa: S104 - the check that refuses all interfaces
            raise SigninError("签到只在选定的本机地址上开放，不能对所有网络开放")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise SigninError(f"“{host}”不是本机的网络地址") from None
        with store.session() as session:
            activity = session.get(Activity, activity_id)
            if activity is None or activity.deleted or activity.station_id != store.station_id:
                raise SigninError("找不到这次活动")
            self.title, self.date = activity.title, activity.date
        self.store, self.activity_id, self.host, self.port, self.clock = store, activity_id, host, port, clock
        self.book = SigninBook(store.paths.root)
        self.limiter = _Limiter()
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.session_id = self.token = ""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/s/{self.token}"

    def start(self) -> str:
        self.session_id, self.token = self.book.open_session(self.activity_id, self.host, self.clock())
        service = SigninService(self.store, self.book, self.session_id, self.activity_id, self.clock)
        handler = _handler_for(self, service)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

        class Server(ThreadingHTTPServer):
            address_family = family
            daemon_threads = True
            request_queue_size = 64

        try:
            self.httpd = Server((self.host, self.port), handler)
        except OSError as exc:
            self.book.stop(self.session_id, self.clock())
            raise SigninError(f"无法在 {self.host}:{self.port} 上开始签到（{exc.strerror or exc}）：端口可能被占用，请换一个端口") from None
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="signin", daemon=True)
        self.thread.start()
        log.info("sign-in started for activity %s on %s:%s", self.activity_id, self.host, self.port)
        return self.url

    def stop(self) -> None:
        """Stop serving and end the token (a phone that opens the URL afterwards is told it is over)."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        if self.session_id:
            self.book.stop(self.session_id, self.clock())

    @property
    def running(self) -> bool:
        return self.httpd is not None


def _handler_for(server: SigninServer, service: SigninService):
    title = html.escape(server.title)

    class Handler(BaseHTTPRequestHandler):
        timeout = 30  # a phone that stops sending mid-request does not hold a thread
        server_version = "StationSignin"
        sys_version = ""

        def log_message(self, fmt, *args):  # the access log would carry tokens: keep only the status
            log.debug("sign-in %s %s", self.command, args[1] if len(args) > 1 else "")

        def _send(self, status: int, body: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; "
                                                        "img-src 'self' blob: data:; frame-ancestors 'none'; form-action 'self'")
            self.end_headers()
            self.wfile.write(data)

        def _page(self, notice: str = "", bad: bool = False, status: int = 200, live: bool = True) -> None:
            note = f'<p class="{"bad" if bad else "msg"}" id="notice">{html.escape(notice)}</p>' if notice else ""
            action = f"/s/{server.token}"
            forms = "" if not live else f"""
<section><h2>签到 / 签退</h2><form method="post" action="{action}/in">
<label for="name">姓名</label><input id="name" name="name" autocomplete="name" maxlength="50">
<label for="tail">手机号后4位</label><input id="tail" name="tail" inputmode="numeric" pattern="[0-9]{{4}}" maxlength="4">
<label for="number">志愿者编号（同名且手机尾号相同时才需要）</label><input id="number" name="number" maxlength="20">
<div class="row"><button type="submit" id="signin">签到</button>
<button type="submit" class="second" id="signout" formaction="{action}/out">签退</button></div></form></section>
<section><h2>新来的志愿者</h2><small>还没有登记的，请用自己的手机填写以下信息，专管员确认后登记</small>
<form method="post" action="{action}/arrive">
<label for="a-name">姓名</label><input id="a-name" name="name" maxlength="50">
<label for="a-phone">手机号</label><input id="a-phone" name="phone" inputmode="numeric" maxlength="11">
<label for="a-id">身份证号</label><input id="a-id" name="id_number" maxlength="18">
<button type="submit" id="arrive">提交</button></form></section>
<section><h2>活动照片</h2><label for="photo">拍一张活动照片（可选）</label>
<input id="photo" type="file" accept="image/*" capture="environment"><p id="photo-status"></p></section>
<script src="{action}/app.js"></script>"""
            self._send(status, f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>活动签到</title><style>{PAGE_STYLE}</style></head>
<body><header><h1>{title}</h1><p>{server.date:%Y年%m月%d日} · 志愿者签到</p></header><main>{note}{forms}</main></body></html>""")

        def _gone(self) -> None:
            self._send(410, f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>签到已结束</title><style>{PAGE_STYLE}</style></head>
<body><header><h1>签到已结束</h1></header><main><p class="bad">这个签到链接已失效（专管员已结束签到，或已超过12小时）。请向专管员询问。</p></main></body></html>""")

        def _route(self) -> tuple[str, bool]:
            """(what after the token, whether the token opens a live session of this server)."""
            parts = self.path.split("?", 1)[0].split("/")
            # /s/<token>[/<action>]
            if len(parts) < 3 or parts[1] != "s":
                return "", False
            live = service.book.session_for_token(parts[2], server.clock())
            ok = live is not None and live["id"] == server.session_id and secrets.compare_digest(parts[2], server.token)
            return ("/".join(parts[3:]), ok)

        def _addr(self) -> str:
            return self.client_address[0]

        def do_GET(self):
            if server.limiter.too_many(self._addr()):
                return self._send(429, "请求过于频繁，请稍候再试", "text/plain; charset=utf-8")
            action, ok = self._route()
            if not ok:
                return self._gone()
            if action == "app.js":
                return self._send(200, PHOTO_SCRIPT, "text/javascript; charset=utf-8")
            if action:
                return self._send(404, "找不到", "text/plain; charset=utf-8")
            self._page()

        def _read(self, limit: int) -> bytes | None:
            length = self.headers.get("Content-Length", "")
            if not length.isdigit():
                self._send(411, "缺少长度", "text/plain; charset=utf-8")
                return None
            if int(length) > limit:
                self.close_connection = True
                self._send(413, "照片超过20MB，请重新拍摄" if limit > MAX_FORM_BYTES else "提交的内容过长", "text/plain; charset=utf-8")
                return None
            return self.rfile.read(int(length))

        def do_POST(self):
            addr = self._addr()
            if server.limiter.too_many(addr):
                return self._send(429, "请求过于频繁，请稍候再试", "text/plain; charset=utf-8")
            action, ok = self._route()
            if not ok:
                return self._gone()
            if action == "photo":
                data = self._read(MAX_PHOTO_BYTES)
                if data is None:
                    return
                try:
                    return self._send(200, service.add_photo(data, addr), "text/plain; charset=utf-8")
                except Refused as exc:
                    return self._send(exc.status, str(exc), "text/plain; charset=utf-8")
            if action not in ("in", "out", "arrive"):
                return self._send(404, "找不到", "text/plain; charset=utf-8")
            raw = self._read(MAX_FORM_BYTES)
            if raw is None:
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10).items()}
            if server.limiter.locked(addr):
                return self._page("尝试次数过多，请10分钟后再试，或请专管员帮忙", bad=True, status=429)
            if action == "arrive":
                server.limiter.failed(addr)  # every new arrival counts toward the phone's limit, as a wrong guess does
            try:
                if action == "in":
                    message = service.sign_in(form.get("name", ""), form.get("tail", ""), form.get("number", ""), addr)
                elif action == "out":
                    message = service.sign_out(form.get("name", ""), form.get("tail", ""), form.get("number", ""), addr)
                else:
                    message = service.arrive(form.get("name", ""), form.get("phone", ""), form.get("id_number", ""), addr)
            except Refused as exc:
                if exc.failure:
                    server.limiter.failed(addr)
                return self._page(str(exc), bad=True)
            self._page(message)

    return Handler


# -- the clerk's side -------------------------------------------------------------------------------

@dataclass
class ConfirmResult:
    participants: int
    registered: int
    photos: int
    skipped: list[str]
    marked_done: bool = False  # a planned activity recorded as 已开展 by the confirmation
    waiting: list[str] = None  # still serving (signed in, not out, the activity not over): confirmed later
    held: int = 0  # arrivals waiting for the clerk's 批准


def still_serving(entry: Entry, activity: Activity, now: datetime) -> bool:
    """Signed in, not signed out, and the activity's end not yet passed: the time is not served yet (#26: confirming
    at 14:23 an activity of 14:00–17:00 gave 2.5 hours to people who had not signed out)."""
    if entry.signed_out_at is not None or activity.end_time is None:
        return False
    return now < datetime.combine(activity.date, activity.end_time)


def confirm(ctx: Context, session_id: str, *, now: datetime | None = None) -> ConfirmResult:
    """确认签到结果: every sign-in not rejected becomes a participant with the hours from its times (capped
    by the activity's), every arrival not rejected is registered first (or matched by ID number to a
    volunteer registered meanwhile) — all in one transaction through the app's own rules; then the photos.
    A failure leaves the ledger and the sign-in list as they were."""
    book = SigninBook(ctx.store.paths.root)
    rows = book.run("SELECT * FROM signin_session WHERE id = ?", (session_id,))
    if not rows:
        raise SigninError("找不到这次签到")
    if rows[0]["confirmed_at"]:
        raise SigninError("这次签到的结果已经确认过")
    activity_id = rows[0]["activity_id"]
    now = now or datetime.now()
    every = book.entries(session_id)
    skipped: list[str] = []
    registered = 0
    with ctx.write(label="确认签到结果") as session:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.deleted:
            raise SigninError("这次活动已被删除，无法记入签到结果")
        waiting = [e for e in every if e.status == "pending" and still_serving(e, activity, now)]
        entries = [e for e in every if e.status == "pending" and not still_serving(e, activity, now)]
        current = {p.volunteer_id: activity_service.ParticipantInput(p.volunteer_id, p.hours, p.role)
                   for p in session.exec(select(activity_service.Participation).where(
                       activity_service.Participation.activity_id == activity_id, activity_service.Participation.deleted == False))}
        added = 0
        for e in entries:
            volunteer_id = e.volunteer_id
            if e.kind == "arrival":
                known = session.exec(select(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.id_number == e.id_number,
                                                             Volunteer.deleted == False)).first()
                if known is not None:
                    volunteer_id = known.id
                else:
                    try:
                        volunteer = volunteer_service.add_volunteer_in(session, ctx, name=e.name, phone=e.phone, id_number=e.id_number,
                                                                       registered_on=min(activity.date, now.date()))
                        session.flush()
                    except ValidationError as exc:
                        raise ValidationError({"signin": f"新来的志愿者{e.name}：{'；'.join(exc.errors.values())}"}) from None
                    volunteer_id = volunteer.id
                    registered += 1
            hours = service_hours(e.signed_in_at, e.signed_out_at, activity)
            if hours <= 0:
                skipped.append(f"{e.name}（签到 {e.signed_in_at:%H:%M}，没有可计的服务时长）")
                continue
            if volunteer_id in current:
                skipped.append(f"{e.name}（已在本次活动的参与名单中）")
                continue
            current[volunteer_id] = activity_service.ParticipantInput(volunteer_id, hours)
            added += 1
        # A planned activity that people signed in to has taken place (not one still in the future).
        happened = {"status": "done"} if activity.status == "planned" and activity.date <= now.date() and entries else {}
        try:
            activity_service.update_activity_in(session, ctx, activity_id, participants=list(current.values()), **happened)
            session.flush()
        except ValidationError as exc:
            raise ValidationError({"signin": "；".join(exc.errors.values())}) from None
    photos = 0
    for path in book.photos_of(session_id):
        if path.exists():
            activity_service.add_photo(ctx, activity_id, path, caption="签到时拍摄")
            photos += 1
    stamp = _iso(now)
    done_ids = [e.id for e in entries]
    held = sum(1 for e in every if e.status == "held")

    def settle(conn):
        for entry_id in done_ids:
            # The ID number of an arrival is in the registry now: not kept here any longer.
            conn.execute("UPDATE signin_entry SET status = 'confirmed', id_number = '' WHERE id = ? AND status = 'pending'", (entry_id,))
        conn.execute("UPDATE signin_entry SET id_number = '' WHERE session_id = ? AND status = 'rejected'", (session_id,))
        conn.execute("UPDATE signin_photo SET status = 'confirmed' WHERE session_id = ?", (session_id,))
        if not waiting and not held:  # everyone's time is in: the list is closed
            conn.execute("UPDATE signin_session SET confirmed_at = ?, stopped_at = COALESCE(stopped_at, ?) WHERE id = ?",
                         (stamp, stamp, session_id))
    book.atomically(settle)
    return ConfirmResult(participants=added, registered=registered, photos=photos, skipped=skipped, marked_done=bool(happened),
                         waiting=[f"{e.name}（{e.signed_in_at:%H:%M} 签到，尚未签退）" for e in waiting], held=held)


def describe(entry: Entry, activity: Activity) -> tuple[str, str, str, str, str]:
    """A row of the clerk's live list: who, kind, in, out, hours (the clerk sees names; phones masked)."""
    kind = {"volunteer": "志愿者", "arrival": "新来的（待确认登记）"}[entry.kind]
    if entry.status == "rejected":
        kind += "·已拒绝"
    elif entry.status == "held":
        kind += "·待批准（同时来了许多新人，请核实后批准）"
    elif entry.status == "confirmed":
        kind += "·已记入"
    who = entry.name + (f"（{mask_phone(entry.phone)}）" if entry.kind == "arrival" else "")
    hours = service_hours(entry.signed_in_at, entry.signed_out_at, activity)
    return (who, kind, f"{entry.signed_in_at:%H:%M}", f"{entry.signed_out_at:%H:%M}" if entry.signed_out_at else "—", f"{hours:g}")


def activity_of(store: Store, activity_id: str) -> Activity:
    with store.session() as session:
        activity = session.get(Activity, activity_id)
    if activity is None:
        raise SigninError("找不到这次活动")
    return activity

