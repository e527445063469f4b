"""The district overview: server-rendered Chinese pages behind a staff login."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from fastapi import FastAPI, Form, Path as PathParam, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Engine, and_, func, select

from app.models.base import utcnow
from app.models.enums import PROJECT_STATUSES, DemandState as S, station_level
from app.services.activities import month_range
from app.services.operators import hash_password, verify_password

from .. import protocol
from . import admin, attention, people, stats, throttle
from .admin import same_secret
from .db import TABLES, account, batch_log, rejection, staff, staff_session

COOKIE = "district_session"
PAGE_SIZE = 50  # stations per page of the overview
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # checked for unknown user names, as long as a real check
SESSION_HOURS = 12
# A staff session also ends after this long without a page (a browser left open in an office, a phone put
# down): the 12 hours above are the most a session lasts, however busy. last_seen is written at most once a
# minute, so a page costs no write.
IDLE_MINUTES = 30
SEEN_EVERY = timedelta(minutes=1)
# Pages are Jinja2 templates in templates/ with autoescaping on: a station's name, a rejection reason or a
# search typed by staff can never become markup.
TEMPLATES = Environment(loader=PackageLoader("sync.server", "templates"), autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True)





@dataclass(frozen=True)
class StaffUser:
    display_name: str
    token: str
    street: str = ""  # a 街道 account (#30) sees and acts only on this street's 所 and stations; "" is the whole district
    username: str = ""  # who entered a score (street_score.entered_by)
    center: str = ""  # the 中心's ledger name once it enrolled ("钢城区新时代文明实践中心"): every page's header

    @property
    def heading(self) -> str:
        return self.center or "区新时代文明实践中心"

    @property
    def scope(self) -> str:
        return admin.scope_label(self.street)

    @property
    def csrf(self) -> str:
        return csrf_of(self.token)


def csrf_of(session_token: str) -> str:
    return hashlib.sha256(("csrf:" + session_token).encode()).hexdigest()


def _version() -> str:
    """The installed program's version, for every page's footer (#27); read once."""
    global _VERSION
    if _VERSION is None:
        from app import __version__

        _VERSION = __version__
    return _VERSION


_VERSION: str | None = None


def render(name: str, *, title: str, user: StaffUser | None = None, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(title=title, user=user, program_version=_version(), **context),
                        status_code=status)


def wanted_page(value: str) -> str:
    """Where a login returns to: a page of this server (``/district…``) and nothing else, so a link someone sends
    cannot make the login form redirect off-site (``//host``, ``/\\host``, a scheme) or to the API."""
    if (value.startswith("/district") and not value.startswith("//") and "\\" not in value
            and all(ord(c) > 31 for c in value) and len(value) <= 1000):
        return value
    return ""


def to_login(request: Request) -> RedirectResponse:
    """A staff page asked for without a live session: the login, then back to this very page (and its month)."""
    wanted = wanted_page(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return RedirectResponse("/login" + (f"?next={quote(wanted, safe='')}" if wanted else ""), status_code=303)


def period(year: int, month: int) -> tuple[int, int]:
    """The month a page shows: the one asked for, this one where none was (0)."""
    today = date.today()
    return year or today.year, month or today.month


class LoginNeeded(Exception):
    """A staff page asked for without a live session (``Staff.signed_in``): answered with the login page."""


class OutOfScope(Exception):
    """A 街道 account asked for another street's page or record: answered as if it did not exist."""

    def __init__(self, user: StaffUser, message: str):
        super().__init__(message)
        self.user, self.message = user, message


def years_back(count: int = 5) -> list[int]:
    """The years a period picker offers: this one and the four before it."""
    today = date.today()
    return list(range(today.year, today.year - count, -1))


# Sent with every answer (pages and API): no external sources, no framing, no sniffing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
LOGIN_CSRF_COOKIE = "district_login_csrf"


def xlsx_response(title: str, headers: list[str], rows: list[list], filename: str, widths: list[int] | None = None,
                  sheet: str = "") -> Response:
    """One table as a workbook WPS opens well: a title row, bold frozen headers, column widths, dates as dates.
    ``sheet`` names the sheet (Excel allows 31 characters; without it the title, cut there)."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from app.exchange.sheets import append_row

    book = Workbook()
    ws = book.active
    ws.title = (sheet or title)[:31]
    ws.append([title])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, row)  # a station's text is data, never a formula (app/sheets.py)
    for c, header in enumerate(headers, start=1):
        longest = max([len(str(header))] + [len(str(r[c - 1])) for r in rows[:500] if c - 1 < len(r) and r[c - 1] is not None])
        ws.column_dimensions[get_column_letter(c)].width = (widths[c - 1] if widths else min(50, max(8, longest * 1.8 + 2)))
        for r in range(3, len(rows) + 3):
            cell = ws.cell(row=r, column=c)
            if isinstance(cell.value, datetime):  # a datetime is a date too: the time was cut off (#27)
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buffer = BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


STALE_DAYS = 7  # a station not synced for this long is flagged at the top of the overview
LANDING = "/district/today"  # the first page after a login: what needs attention (#30)


def beijing_time(dt) -> str:
    """A time the district keeps (UTC) as its people read it: 北京时间, the pages and the command line alike."""
    if dt is None:
        return "从未同步"
    utc = dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo is not None else dt
    return (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


TEMPLATES.filters["local"] = beijing_time
TEMPLATES.filters["figure"] = lambda value: format(value, "g")
TEMPLATES.filters["day"] = lambda day: f"{day.year}年{day.month}月{day.day}日"  # dates as people read them
TEMPLATES.filters["md"] = lambda day: f"{day.month}月{day.day}日"
TEMPLATES.filters["signed"] = lambda value: ("+" if value > 0 else "") + format(value, "g")
TEMPLATES.filters["tier"] = lambda level: station_level(level).unit  # 实践站 / 实践所 / 实践中心 (#30)

# Query values staff can type into the address bar: out of range is a Chinese 422, never a 500.
YEAR = Query(0, ge=0, le=2100, description="年份（0 为本年）")
MONTH = Query(0, ge=0, le=12, description="月份（0 为本月）")
PARAM_LABELS = {"year": "年份", "month": "月份", "account_id": "实践站编号", "cursor": "同步位置", "street": "街道", "sha": "照片",
                "thumb": "缩略图", "wait": "等待时间", "key": "人员", "p": "页码"}
PEOPLE_PAGE = 50  # people per page of 跨站点志愿者


@dataclass(frozen=True)
class Staff:
    """What every group of staff pages shares (web_people, web_packages, web_admin …): who is logged in, the form
    token, and the answers for what an account may not see or do."""

    engine: Engine
    current_user: Callable[[Request], StaffUser | None]
    csrf_token: Callable[[Request], str]
    out_of_scope: Callable[..., HTMLResponse]
    district_only: Callable[..., HTMLResponse]
    take_upload: Callable[..., UploadFile | tuple[str, int]]
    street_filter: Callable[[StaffUser, str], str | None]

    def signed_in(self, request: Request) -> StaffUser:
        """The account behind a staff page's request; without a live session the request is answered with the
        login page (which comes back to this page), the route's code going no further."""
        user = self.current_user(request)
        if user is None:
            raise LoginNeeded
        return user

    def street_shown(self, user: StaffUser, street: str) -> str:
        """The street a page shows (``street_filter``); another street's, asked for by a 街道 account, is not found."""
        shown = self.street_filter(user, street)
        if shown is None:
            raise OutOfScope(user, "找不到该街道")
        return shown


def session_live(expires_at: datetime, last_seen: datetime | None, now: datetime) -> bool:
    """Whether a staff session still lets its holder in: before its SESSION_HOURS are up and within IDLE_MINUTES
    of its last page (a session never seen counts from its login). A plain function, not a query's filter, so
    the mutation test reaches it (#28)."""
    return now < expires_at and (last_seen is None or now - last_seen < timedelta(minutes=IDLE_MINUTES))


def streets_of(conn, user: StaffUser) -> list[str]:
    """The streets an account picks from: a 街道 account its own, the district every one."""
    return [user.street] if user.street else admin.streets(conn)


def install(api: FastAPI) -> None:
    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        names = [PARAM_LABELS.get(str(e.get("loc", ["", ""])[-1]), str(e.get("loc", ["", ""])[-1])) for e in exc.errors()]
        message = f"请求参数不正确：{'、'.join(dict.fromkeys(names)) or '格式错误'}"
        if request.url.path.startswith("/district"):
            return render("message.html", title="参数错误", message=message, error=True, back="/district", back_label="← 返回各站情况",
                          status=422)
        return JSONResponse({"code": "bad_request", "message": message}, status_code=422)

    @api.exception_handler(LoginNeeded)
    async def _login_needed(request: Request, _exc: LoginNeeded):
        return to_login(request)

    @api.exception_handler(OutOfScope)
    async def _out_of_scope(_request: Request, exc: OutOfScope):
        return out_of_scope(exc.user, exc.message)

    engine = api.state.engine

    def current_user(request: Request) -> StaffUser | None:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 100:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = utcnow()
        with engine.connect() as conn:
            row = conn.execute(
                select(staff.c.display_name, staff.c.street, staff.c.username, staff_session.c.expires_at, staff_session.c.last_seen)
                .join(staff_session, staff_session.c.staff_id == staff.c.id)
                .where(staff_session.c.token_hash == digest, staff.c.disabled == False)
            ).first()
            center = conn.execute(select(account.c.name).where(account.c.level == "center", account.c.revoked == False)
                                  .order_by(account.c.id).limit(1)).scalar() if row is not None else None
        if row is None or not session_live(row.expires_at, row.last_seen, now):
            return None
        if row.last_seen is None or now - row.last_seen >= SEEN_EVERY:
            with engine.begin() as conn:
                conn.execute(staff_session.update().where(staff_session.c.token_hash == digest).values(last_seen=now))
        return StaffUser(row.display_name, token, row.street, row.username, center or "")

    def out_of_scope(user: StaffUser, message: str = "找不到该实践站", back: str = "/district") -> HTMLResponse:
        """Another street's station, dispatch, photo or reply asked for by a 街道 account: as if it did not exist."""
        return render("message.html", title="找不到", user=user, message=message, error=False, back=back, back_label="← 返回", status=404)

    def street_filter(user: StaffUser, street: str) -> str | None:
        """The street a page shows: a 街道 account's own whatever it asks (None: it asked for another street)."""
        if not user.street:
            return street
        return user.street if street in ("", user.street) else None

    def csrf_token(request: Request) -> str:
        return csrf_of(request.cookies.get(COOKIE, ""))

    def take_upload(request: Request, csrf: str, upload: UploadFile | None, missing: str, limit: int,
                    what: str) -> UploadFile | tuple[str, int]:
        """A staff form's file upload: the file, or (message, status) when it cannot be taken."""
        if not same_secret(csrf, csrf_token(request)):
            return "页面已过期，请刷新后重新提交", 403
        if upload is None or not upload.filename:
            return missing, 422
        if (upload.size or 0) > limit:
            return f"{what}过大（上限 {limit // 1024 // 1024} MB）", 413
        return upload

    def district_only(user: StaffUser, what: str = "批量添加实践站") -> HTMLResponse:
        return render("message.html", title="无权操作", user=user, message=f"{what}由区文明实践中心的全区管理员办理",
                      error=True, back="/district", back_label="← 返回各站情况", status=403)

    shared = Staff(engine, current_user, csrf_token, out_of_scope, district_only, take_upload, street_filter)
    signed_in, street_shown = shared.signed_in, shared.street_shown

    def secure(request: Request) -> bool:
        """Cookies marked Secure when the district is reached over HTTPS: served behind a reverse proxy
        (``--behind-https``, or the proxy's X-Forwarded-Proto, which uvicorn applies for trusted proxies)."""
        return bool(getattr(api.state, "behind_https", False)) or request.url.scheme == "https"

    def address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    @api.get("/", include_in_schema=False)
    def root():
        return RedirectResponse(LANDING, status_code=303)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi_for_staff(request: Request):
        """The API description, for district staff only (no public /docs: it would load scripts from a CDN)."""
        if current_user(request) is None:
            return JSONResponse({"code": "login_required", "message": "请先登录区级管理页面"}, status_code=401)
        return JSONResponse(api.openapi())

    @api.get(protocol.VERIFY + "/{number}", include_in_schema=False)
    def verify_certificate(request: Request, number: str, p: str = Query("", max_length=400), s: str = Query("", max_length=100)):
        """Public: anyone holding a 志愿服务记录证明 checks it by its number or its QR code (#26). No login; each
        address may look up VERIFY_ADDR's count a quarter hour; no full name, ID number or phone is shown."""
        from . import certificates

        addr = request.client.host if request.client else "unknown"
        wait = throttle.locked_for(engine, throttle.VERIFY_ADDR, addr)
        if wait:
            return render("message.html", title="核验过于频繁", message=throttle.wait_text(wait), error=True, back="", back_label="", status=429)
        throttle.failed(engine, throttle.VERIFY_ADDR, addr)  # every lookup counts: numbers are sequential
        answer = certificates.lookup(engine, number[:40], p, s)
        response = render("verify.html", title="志愿服务记录证明核验", number=number[:40].upper(), answer=answer,
                          status=404 if answer.status == "not_found" else 200)
        response.headers["Cache-Control"] = "no-store"
        return response

    @api.get("/login", include_in_schema=False)
    def login_form(request: Request, error: str = "", wait: int = Query(0, ge=0, le=10_000),
                   wanted: str = Query("", alias="next", max_length=1000)):
        message = {"1": "用户名或密码不正确", "expired": "登录页面已过期，请重新输入", "locked": throttle.wait_text(wait),
                   "disabled": "该账号已停用，请联系区文明实践中心"}.get(error, "")
        token = secrets.token_urlsafe(24)
        response = render("login.html", title="登录", message=message, token=token, wanted=wanted_page(wanted))
        # Login CSRF: the form's token must come back with the same value as this cookie (double submit).
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), max_age=3600)
        return response

    @api.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form("", max_length=200), password: str = Form("", max_length=500),
              csrf: str = Form("", max_length=100), wanted: str = Form("", max_length=1000)):
        wanted = wanted_page(wanted)  # the page asked for before the login, back to it after (#30)
        again = f"&next={quote(wanted, safe='')}" if wanted else ""
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not same_secret(csrf, expected):
            return RedirectResponse("/login?error=expired" + again, status_code=303)
        name, addr = username.strip(), address(request)
        user_key = name.lower()
        wait = max(throttle.locked_for(engine, throttle.LOGIN_USER, user_key), throttle.locked_for(engine, throttle.LOGIN_ADDR, addr))
        if wait:
            return RedirectResponse(f"/login?error=locked&wait={wait}" + again, status_code=303)
        with engine.connect() as conn:
            user = conn.execute(select(staff).where(staff.c.username == name)).first()
        # The same hashing for a name that does not exist: the answer's timing says nothing about who exists.
        good = verify_password(password, user.password_hash if user else DUMMY_HASH) and user is not None
        if not good:
            throttle.failed(engine, throttle.LOGIN_USER, user_key)
            throttle.failed(engine, throttle.LOGIN_ADDR, addr)
            return RedirectResponse("/login?error=1" + again, status_code=303)
        throttle.succeeded(engine, throttle.LOGIN_USER, user_key)
        if user.disabled:  # said only to whoever knows the password
            return RedirectResponse("/login?error=disabled" + again, status_code=303)
        token = secrets.token_urlsafe(32)
        with engine.begin() as conn:
            conn.execute(staff_session.insert().values(token_hash=hashlib.sha256(token.encode()).hexdigest(), staff_id=user.id,
                                                       expires_at=utcnow() + timedelta(hours=SESSION_HOURS), last_seen=utcnow()))
        response = RedirectResponse(wanted or LANDING, status_code=303)  # else Monday morning's list first (#30)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure(request), max_age=SESSION_HOURS * 3600)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @api.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("", max_length=100)):
        token = request.cookies.get(COOKIE)
        if token and same_secret(csrf, csrf_of(token)):
            with engine.begin() as conn:
                conn.execute(staff_session.delete().where(staff_session.c.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        elif token:  # a logout posted from elsewhere: ignored, the session stays
            return RedirectResponse("/district", status_code=303)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    def figures_for(conn, station_ids: list[str] | None, today: date) -> dict[str, dict]:
        """Per station (those named, or every one): kept as batches are applied (stats.py), read in four queries."""
        return stats.figures_for(conn, station_ids, today)

    def station_figures(conn, station_id: str, today: date) -> dict:
        return figures_for(conn, [station_id], today).get(station_id, {"volunteers": 0, "hours": 0.0, "per_team": [], "month_total": 0})

    def period_end(year: int, month: int) -> date:
        """The day the figures are taken on: today in the current month, else the month's last day."""
        today = date.today()
        return today if (year, month) == (today.year, today.month) else month_range(year, month)[1]

    def overview_rows(conn, year: int, month: int, street: str, *, sort: str = "street", page_no: int = 1,
                      size: int | None = None) -> tuple[list[dict], int]:
        """One page of stations (all of them when ``size`` is None), filtered by street and sorted, with
        their figures; and how many stations the filter leaves."""
        on = period_end(year, month)
        order = {"name": (account.c.name,), "street": (account.c.street, account.c.name),
                 "sync": (account.c.last_sync_at.desc().nulls_last(), account.c.name),
                 "stale": (account.c.last_sync_at.asc().nulls_first(), account.c.name),
                 "received": (account.c.rows_received.desc(), account.c.name)}[sort]
        query = select(account).order_by(*order, account.c.id)
        counted = select(func.count()).select_from(account)
        if street:
            query, counted = query.where(account.c.street == street), counted.where(account.c.street == street)
        if size is not None:
            query = query.offset((page_no - 1) * size).limit(size)
        accounts = conn.execute(query).all()
        figures = figures_for(conn, [a.station_id for a in accounts if a.station_id] if size is not None else None, on)
        empty = {"volunteers": 0, "hours": 0.0, "per_team": [], "month_total": 0}
        return [{"account": a, **figures.get(a.station_id, empty)} for a in accounts], conn.execute(counted).scalar_one()

    def late_stations(conn, street: str = "") -> tuple[list[tuple[str, int | None]], int]:
        """Enrolled stations (of ``street``, or all) that have not synced for STALE_DAYS days (the first 30, longest
        first, with the days since, None for never), and how many there are: flagged at the top of the overview."""
        now = utcnow()
        cutoff = now - timedelta(days=STALE_DAYS)
        late_ones = and_(account.c.station_id != None, account.c.revoked == False, admin.in_street(street),
                         (account.c.last_sync_at == None) | (account.c.last_sync_at <= cutoff))
        count = conn.execute(select(func.count()).select_from(account).where(late_ones)).scalar_one()
        late = []
        for acct in conn.execute(select(account.c.name, account.c.last_sync_at).where(late_ones)
                                 .order_by(account.c.last_sync_at.asc().nulls_first(), account.c.name).limit(30)):
            last = acct.last_sync_at
            if last is not None and last.tzinfo is None:
                last = last.replace(tzinfo=UTC)
            late.append((acct.name, None if last is None else (now - last).days))
        return late, count

    def monthly_chart(conn, year: int, street: str = "") -> dict | None:
        """Activities per month per street in ``year`` (of ``street``'s stations only, for a 街道 account), laid out
        as bars for templates/chart.html."""
        counts: dict[str, list[int]] = {}
        for street_name, m, n in stats.per_street_month(conn, year, street=street):
            counts.setdefault(street_name or "（未填街道）", [0] * 12)[int(m) - 1] = n
        if not counts:
            return None
        top = max(max(v) for v in counts.values()) or 1
        label_w, bar_w, gap, row_h = 110, 22, 4, 46
        rows = []
        for i, (name, values) in enumerate(sorted(counts.items())):
            base = 24 + (i + 1) * row_h - 8
            bars = []
            for m, n in enumerate(values):
                h = round((row_h - 16) * n / top)
                bars.append({"x": label_w + m * (bar_w + gap), "y": base - h, "h": h, "n": n, "month": m + 1})
            rows.append({"name": name, "y": base - 10, "bars": bars})
        return {"width": label_w + 12 * (bar_w + gap) + 10, "height": row_h * len(counts) + 24, "bar_w": bar_w, "rows": rows,
                "months": [(label_w + m * (bar_w + gap) + bar_w / 2, m + 1) for m in range(12)]}

    @api.get("/district", include_in_schema=False)
    def overview(request: Request, year: int = YEAR, month: int = MONTH, street: str = Query("", max_length=100),
                 sort: str = Query("street", pattern="^(name|street|sync|stale|received)$"),
                 p: int = Query(1, ge=1, le=100_000)):
        user = signed_in(request)
        street = street_shown(user, street)
        year, month = period(year, month)
        with engine.connect() as conn:
            stations, total = overview_rows(conn, year, month, street, sort=sort, page_no=p, size=PAGE_SIZE)
            late, late_count = late_stations(conn, user.street)
            chart = monthly_chart(conn, year, user.street)
            streets = streets_of(conn, user)
        sorts = {"street": "按街道", "name": "按站名", "sync": "最近同步在前", "stale": "最久未同步在前", "received": "收到记录多的在前"}
        query = f"year={year}&month={month}&street={quote(street)}&sort={sort}"
        return render("overview.html", title="各实践站情况", user=user, year=year, month=month, street=street, sort=sort, sorts=sorts,
                      years=years_back(), streets=streets, stations=stations, total=total, p=p, pages=max(1, -(-total // PAGE_SIZE)),
                      page_size=PAGE_SIZE, here=f"/district?{query}", export=f"/district/overview.xlsx?{query}", late=late,
                      late_count=late_count, stale_days=STALE_DAYS, chart=chart, whole_district=not user.street)

    @api.get("/district/today", include_in_schema=False)
    def today_page(request: Request):
        """What needs attention in the account's scope, each line a link, and the week's change (#30 "Monday morning")."""
        user = signed_in(request)
        today = date.today()
        with engine.connect() as conn:
            seen = attention.attention(conn, today, user.street)
        return render("today.html", title="待办事项", user=user, today=today, a=seen, whole_district=not user.street)

    @api.get("/district/overview.xlsx", include_in_schema=False)
    def overview_xlsx(request: Request, year: int = YEAR, month: int = MONTH, street: str = Query("", max_length=100),
                      sort: str = Query("street", pattern="^(name|street|sync|stale|received)$")):
        user = signed_in(request)
        street = street_shown(user, street)
        year, month = period(year, month)
        with engine.connect() as conn:
            stations, _total = overview_rows(conn, year, month, street, sort=sort)  # every station, not one page
        rows = [[f["account"].name, station_level(f["account"].level).unit, f["account"].street, "已停用" if f["account"].revoked else ("未登记" if not f["account"].station_id else "正常"),
                 (f["account"].last_sync_at + timedelta(hours=8)).replace(tzinfo=None) if f["account"].last_sync_at else "从未同步",
                 f["account"].rows_received, f["account"].rows_rejected, f["month_total"],
                 "、".join(f"{name} {n}次" for name, n in f["per_team"]), f["volunteers"], f["hours"]] for f in stations]
        headers = ["名称", "级别", "所属街道", "状态", "最近同步（北京时间）", "收到记录", "被拒记录", f"{month}月活动", f"{month}月各服务队活动", "志愿者",
                   f"{year}年服务时长"]
        return xlsx_response(f"{year}年{month}月各实践站情况", headers, rows, f"{year}年{month}月各实践站情况.xlsx")

    def photo_in_street(sha: str, street: str) -> bool:
        """A photo one of ``street``'s stations sent (or holds: the same picture can be in two ledgers)."""
        from .db import stored_file

        photo_table = TABLES["photo"]
        with engine.connect() as conn:
            held = conn.execute(select(photo_table.c.id).where(photo_table.c.sha256 == sha,
                                                               photo_table.c.station_id.in_(admin.station_ids_in(street))).limit(1)).first()
            sent = conn.execute(select(stored_file.c.sha256).join(account, account.c.id == stored_file.c.account_id)
                                .where(stored_file.c.sha256 == sha, admin.in_street(street))).first()
        return held is not None or sent is not None

    @api.get("/district/photo/{sha}", include_in_schema=False)
    def photo(request: Request, sha: str = PathParam(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$"), thumb: int = Query(0, ge=0, le=1)):
        user = current_user(request)
        if user is None:
            return Response(status_code=401)
        if user.street and not photo_in_street(sha, user.street):
            return Response(status_code=404)
        data = api.state.photos.thumbnail(sha) if thumb else api.state.photos.get(sha)
        if data is None:
            return Response(status_code=404)
        kind = "image/jpeg" if thumb or data[:3] == b"\xff\xd8\xff" else "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "application/octet-stream"
        return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=86400"})

    @api.get("/district/station/{account_id}", include_in_schema=False)
    def station_detail(request: Request, account_id: int = PathParam(ge=1, le=2**31 - 1), year: int = YEAR, month: int = MONTH):
        user = signed_in(request)
        today = date.today()
        year, month = period(year, month)
        on = period_end(year, month)
        activity, team, photo_table = TABLES["activity"], TABLES["team"], TABLES["photo"]
        with engine.connect() as conn:
            acct = conn.execute(select(account).where(account.c.id == account_id, admin.in_street(user.street))).first()
            if acct is None:  # or another street's, asked for by a 街道 account: the same answer
                return render("message.html", title="找不到", user=user, message="找不到该实践站", error=False,
                              back="/district", back_label="← 返回各站情况", status=404)
            f = station_figures(conn, acct.station_id, on) if acct.station_id else {"volunteers": 0, "hours": 0, "per_team": [], "month_total": 0}
            month_start, month_end = month_range(year, month)
            recent = conn.execute(
                select(activity.c.id, activity.c.date, activity.c.title, activity.c.category, team.c.name, activity.c.status)
                .outerjoin(team, team.c.id == activity.c.team_id)
                .where(activity.c.station_id == acct.station_id, activity.c.deleted == False,
                       activity.c.date >= month_start, activity.c.date <= month_end).order_by(activity.c.date.desc()).limit(200)
            ).all() if acct.station_id else []
            pictures: dict[str, list] = {}
            if recent:
                for activity_id, sha, caption in conn.execute(
                        select(photo_table.c.activity_id, photo_table.c.sha256, photo_table.c.caption)
                        .where(photo_table.c.activity_id.in_([r.id for r in recent]), photo_table.c.deleted == False)):
                    pictures.setdefault(activity_id, []).append((sha, caption))
            batches = conn.execute(select(batch_log).where(batch_log.c.account_id == acct.id).order_by(batch_log.c.received_at.desc()).limit(10)).all()
            rejects = conn.execute(select(rejection).where(rejection.c.account_id == acct.id).order_by(rejection.c.id.desc()).limit(20)).all()
            demand = TABLES["demand"]
            # What the 待办事项 page links to: the demands still waiting for service, and those rated low.
            waiting_or_low = conn.execute(select(demand).where(
                demand.c.station_id == acct.station_id, demand.c.deleted == False,
                (demand.c.state.in_(attention.WAITING)) | (demand.c.rating <= attention.LOW_RATING))
                .order_by(demand.c.due_on).limit(200)).all() if acct.station_id else []
            project = TABLES["project"]
            # 五.4: the brand projects behind the 街道 evaluation's figure (those in use count; planned ones are listed too)
            brands = conn.execute(select(project.c.name, project.c.category, project.c.status, project.c.started_on).where(
                project.c.station_id == acct.station_id, project.c.deleted == False, project.c.brand == True)
                .order_by(project.c.name)).all() if acct.station_id else []
            # one person, two ledgers (#30): its volunteers registered in other ledgers too
            shared = people.shared_of_station(conn, acct.station_id) if acct.station_id else []
        return render("station.html", title=acct.name, user=user, acct=acct, f=f, year=year, month=month, years=years_back(),
                      recent=recent, pictures=pictures, batches=batches, rejects=rejects, demands=waiting_or_low, today=today, waiting=attention.WAITING,
                      state_label=lambda state: S(state).label, brands=brands, project_status=PROJECT_STATUSES, shared=shared)

    from . import street_status_web, street_web, web_admin, web_demands, web_evaluation, web_packages, web_people

    web_demands.install(api, shared)
    web_evaluation.install(api, shared)
    web_people.install(api, shared)
    web_packages.install(api, shared)
    render_publish = web_admin.install(api, shared)
    street_web.install(api, shared, render_publish=render_publish)
    street_status_web.install(api, shared)
