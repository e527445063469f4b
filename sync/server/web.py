"""The district overview: server-rendered Chinese pages behind a staff login."""

from __future__ import annotations

import hashlib
import html
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import FastAPI, File, Form, Path as PathParam, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from urllib.parse import quote

from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import and_, func, select

from app.models.base import utcnow
from app.models.enums import TEAM_CATEGORIES, DemandState as S
from app.services.errors import NotFound, ValidationError
from app.rules import STATUS_LABELS
from app.services.activities import month_range
from app.services.operators import hash_password, verify_password

from . import admin, stats, throttle
from .admin import current_rules
from .db import TABLES, account, announcement, batch_log, package_import, rejection, staff, staff_session

COOKIE = "district_session"
PAGE_SIZE = 50  # stations per page of the overview
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # checked for unknown user names, as long as a real check
SESSION_HOURS = 12
STYLE = """
body{font-family:"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:0;background:#f4f4f4;color:#222}
header{background:#b71c1c;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff} main{padding:18px 24px}
form.logout{display:flex;gap:10px;align-items:center;margin:0} form.logout button{background:#fff;color:#b71c1c;padding:4px 12px}
table{border-collapse:collapse;background:#fff;width:100%;margin:10px 0}
th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;font-size:14px} th{background:#eee}
td.num{text-align:right} th,td:first-child,td:nth-child(2){white-space:nowrap} .bad{color:#c62828} .ok{color:#2e7d32}
form.login{background:#fff;max-width:320px;margin:80px auto;padding:24px;border-radius:6px}
form.login input{width:100%;padding:6px;margin:6px 0 12px}
form.dispatch{background:#fff;padding:12px 16px;margin:14px 0;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:flex-start}
form.dispatch h3{width:100%;margin:0} form.dispatch label{display:flex;flex-direction:column;font-size:14px}
form.dispatch input,form.dispatch select{padding:4px;min-width:150px} form.dispatch textarea{width:420px;padding:4px}
form.dispatch button{align-self:flex-end}
div.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:10px 0} div.scroll table{margin:0}
form.period{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0} form.period select{padding:6px;font-size:15px}
form.period button{padding:6px 14px} p.stale{background:#fff3e0;border-left:4px solid #e65100;padding:8px 12px}
div.photos{display:flex;flex-wrap:wrap;gap:6px} div.photos img{width:120px;height:90px;object-fit:cover;border:1px solid #ccc}
svg.chart{background:#fff;max-width:100%;height:auto}
@media (max-width:600px){header{flex-wrap:wrap;gap:6px;padding:10px 12px} main{padding:10px 12px} th,td{font-size:13px;padding:5px}
form.login{margin:30px auto} form.dispatch textarea{width:100%} form.dispatch label{width:100%} form.dispatch input,form.dispatch select{min-width:0;width:100%}
a,button{min-height:32px}}
form.withdraw{display:flex;gap:4px;margin:0} form.withdraw input{width:120px;padding:2px} form.withdraw button{padding:2px 10px} button{background:#b71c1c;color:#fff;border:0;padding:8px 18px;border-radius:4px}
"""


def _h(value) -> str:
    return html.escape("" if value is None else str(value))


@dataclass(frozen=True)
class StaffUser:
    display_name: str
    token: str

    @property
    def csrf(self) -> str:
        return csrf_of(self.token)


def csrf_of(session_token: str) -> str:
    return hashlib.sha256(("csrf:" + session_token).encode()).hexdigest()


def page(title: str, body: str, *, user: StaffUser | None = None) -> HTMLResponse:
    logout = (f'<form class="logout" method="post" action="/logout"><span>{_h(user.display_name)}</span>'
              f'<input type="hidden" name="csrf" value="{user.csrf}"><button type="submit">退出</button></form>') if user else ""
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_h(title)}</title><style>{STYLE}</style></head>'
        f'<body><header><strong>区新时代文明实践中心 · 实践站台账</strong>{logout}</header><main>{body}</main></body></html>')


# Sent with every answer (pages and API): no external sources, no framing, no sniffing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
LOGIN_CSRF_COOKIE = "district_login_csrf"


def scroll(table_html: str) -> str:
    """A wide table scrolls sideways inside its box on a phone; the page itself stays 390 px wide."""
    return f'<div class="scroll">{table_html}</div>'


def period_picker(action: str, year: int, month: int, *, extra: dict | None = None, years_back: int = 5) -> str:
    """年/月 selects and 查看, instead of editing the address."""
    today = date.today()
    years = "".join(f'<option value="{y}"{" selected" if y == year else ""}>{y}年</option>' for y in range(today.year, today.year - years_back, -1))
    months = "".join(f'<option value="{m}"{" selected" if m == month else ""}>{m}月</option>' for m in range(1, 13))
    hidden = "".join(f'<input type="hidden" name="{_h(k)}" value="{_h(v)}">' for k, v in (extra or {}).items() if v)
    return (f'<form class="period" method="get" action="{_h(action)}"><label>年份 <select name="year">{years}</select></label>'
            f'<label>月份 <select name="month">{months}</select></label>{hidden}<button type="submit">查看</button></form>')


def xlsx_response(title: str, headers: list[str], rows: list[list], filename: str, widths: list[int] | None = None) -> Response:
    """One table as a workbook WPS opens well: a title row, bold frozen headers, column widths, dates as dates."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    ws.title = title[:31]
    ws.append([title])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for c, header in enumerate(headers, start=1):
        longest = max([len(str(header))] + [len(str(r[c - 1])) for r in rows[:500] if c - 1 < len(r) and r[c - 1] is not None])
        ws.column_dimensions[get_column_letter(c)].width = (widths[c - 1] if widths else min(50, max(8, longest * 1.8 + 2)))
        for r in range(3, len(rows) + 3):
            cell = ws.cell(row=r, column=c)
            if isinstance(cell.value, date):
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


def _local(dt) -> str:
    if dt is None:
        return "从未同步"
    return (dt + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")  # 北京时间


# Query values staff can type into the address bar: out of range is a Chinese 422, never a 500.
YEAR = Query(0, ge=0, le=2100, description="年份（0 为本年）")
MONTH = Query(0, ge=0, le=12, description="月份（0 为本月）")
PARAM_LABELS = {"year": "年份", "month": "月份", "account_id": "实践站编号", "cursor": "同步位置", "street": "街道", "sha": "照片",
                "thumb": "缩略图", "wait": "等待时间"}


def install(api: FastAPI) -> None:
    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        names = [PARAM_LABELS.get(str(e.get("loc", ["", ""])[-1]), str(e.get("loc", ["", ""])[-1])) for e in exc.errors()]
        message = f"请求参数不正确：{'、'.join(dict.fromkeys(names)) or '格式错误'}"
        if request.url.path.startswith("/district"):
            response = page("参数错误", f"<p class='error'>{_h(message)}</p><p><a href='/district'>← 返回各站情况</a></p>")
            response.status_code = 422
            return response
        return JSONResponse({"code": "bad_request", "message": message}, status_code=422)

    engine = api.state.engine

    def current_user(request: Request) -> StaffUser | None:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 100:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        with engine.connect() as conn:
            row = conn.execute(
                select(staff.c.display_name).join(staff_session, staff_session.c.staff_id == staff.c.id)
                .where(staff_session.c.token_hash == digest, staff_session.c.expires_at > utcnow())
            ).first()
        return StaffUser(row.display_name, token) if row else None

    def secure(request: Request) -> bool:
        """Cookies marked Secure when the district is reached over HTTPS: served behind a reverse proxy
        (``--behind-https``, or the proxy's X-Forwarded-Proto, which uvicorn applies for trusted proxies)."""
        return bool(getattr(api.state, "behind_https", False)) or request.url.scheme == "https"

    def address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    @api.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/district", status_code=303)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi_for_staff(request: Request):
        """The API description, for district staff only (no public /docs: it would load scripts from a CDN)."""
        if current_user(request) is None:
            return JSONResponse({"code": "login_required", "message": "请先登录区级管理页面"}, status_code=401)
        return JSONResponse(api.openapi())

    @api.get("/login", include_in_schema=False)
    def login_form(request: Request, error: str = "", wait: int = Query(0, ge=0, le=10_000)):
        message = {"1": "用户名或密码不正确", "expired": "登录页面已过期，请重新输入", "locked": throttle.wait_text(wait)}.get(error, "")
        token = secrets.token_urlsafe(24)
        response = page("登录", f'<form class="login" method="post" action="/login"><h2>区级管理登录</h2>'
                                f'{f"<p class=bad>{_h(message)}</p>" if message else ""}'
                                f'<input type="hidden" name="csrf" value="{token}">'
                                '<label>用户名<input name="username" autofocus autocomplete="username"></label>'
                                '<label>密码<input name="password" type="password" autocomplete="current-password"></label>'
                                '<button type="submit">登录</button></form>')
        # Login CSRF: the form's token must come back with the same value as this cookie (double submit).
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), max_age=3600)
        return response

    @api.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form("", max_length=200), password: str = Form("", max_length=500),
              csrf: str = Form("", max_length=100)):
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
            return RedirectResponse("/login?error=expired", status_code=303)
        name, addr = username.strip(), address(request)
        user_key = name.lower()
        wait = max(throttle.locked_for(engine, throttle.LOGIN_USER, user_key), throttle.locked_for(engine, throttle.LOGIN_ADDR, addr))
        if wait:
            return RedirectResponse(f"/login?error=locked&wait={wait}", status_code=303)
        with engine.connect() as conn:
            user = conn.execute(select(staff).where(staff.c.username == name)).first()
        # The same hashing for a name that does not exist: the answer's timing says nothing about who exists.
        good = verify_password(password, user.password_hash if user else DUMMY_HASH) and user is not None
        if not good:
            throttle.failed(engine, throttle.LOGIN_USER, user_key)
            throttle.failed(engine, throttle.LOGIN_ADDR, addr)
            return RedirectResponse("/login?error=1", status_code=303)
        throttle.succeeded(engine, throttle.LOGIN_USER, user_key)
        token = secrets.token_urlsafe(32)
        with engine.begin() as conn:
            conn.execute(staff_session.insert().values(token_hash=hashlib.sha256(token.encode()).hexdigest(), staff_id=user.id,
                                                       expires_at=utcnow() + timedelta(hours=SESSION_HOURS)))
        response = RedirectResponse("/district", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure(request), max_age=SESSION_HOURS * 3600)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @api.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("", max_length=100)):
        token = request.cookies.get(COOKIE)
        if token and secrets.compare_digest(csrf.encode(), csrf_of(token).encode()):
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

    def evaluation(conn, year: int, month: int, *, full: bool = False) -> list[dict]:
        """六.4 月度评估: every synced station through the same evaluator the stations run, ranked; a station's
        verdicts are kept until it syncs again or the rules change (evaluations.py). ``full``: with every verdict."""
        from .evaluations import verdicts_for_all

        rules = current_rules(conn)  # the rules the district last published: the ones the stations see
        ranked = [{"account": acct, "verdicts": verdicts, **summary}
                  for acct, summary, verdicts in verdicts_for_all(conn, year, month, rules, full=full)]
        ranked.sort(key=lambda r: (r["missed"], r["at_risk"], -r["met"], r["account"].name))
        return ranked

    @api.get("/district/evaluation", include_in_schema=False)
    def evaluation_page(request: Request, year: int = YEAR, month: int = MONTH, street: str = Query("", max_length=100),
                        p: int = Query(1, ge=1, le=100_000)):
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        today = date.today()
        year, month = year or today.year, month or today.month
        with engine.connect() as conn:
            everyone = evaluation(conn, year, month)
            streets_known = streets_of(conn)
        ranked = [r for r in everyone if not street or r["account"].street == street]
        pages = max(1, -(-len(ranked) // PAGE_SIZE))
        first = (min(p, pages) - 1) * PAGE_SIZE
        here = f"/district/evaluation?year={year}&amp;month={month}&amp;street={quote(street)}"
        pager = (f'<p class="pager">共 {len(ranked)} 个站，第 {min(p, pages)}/{pages} 页　'
                 + (f'<a href="{here}&amp;p={p - 1}">上一页</a>　' if p > 1 else "")
                 + (f'<a href="{here}&amp;p={p + 1}">下一页</a>' if p < pages else "") + "</p>")
        street_options = '<option value="">全部街道</option>' + "".join(
            f'<option value="{_h(x)}"{" selected" if x == street else ""}>{_h(x)}</option>' for x in streets_known)
        picker = period_picker("/district/evaluation", year, month).replace(
            '<button type="submit">', f'<label>街道 <select name="street">{street_options}</select></label><button type="submit">')
        rows = "".join(
            f"<tr><td class='num'>{n}</td><td><a href='/district/station/{r['account'].id}'>{_h(r['account'].name)}</a></td>"
            f"<td>{_h(r['account'].street)}</td><td class='num'>{r['met']}/{r['counted']}</td><td class='num'>{r['at_risk']}</td>"
            f"<td class='num {'bad' if r['missed'] else ''}'>{r['missed']}</td><td>{'<br>'.join(_h(p) for p in r['problems'][:4]) or '—'}</td></tr>"
            for n, r in enumerate(ranked[first:first + PAGE_SIZE], start=first + 1))
        streets: dict[str, list] = {}
        for r in everyone:
            streets.setdefault(r["account"].street or "（未填街道）", []).append(r)
        street_rows = "".join(
            f"<tr><td>{_h(name)}</td><td class='num'>{len(items)}</td><td class='num'>{sum(i['met'] for i in items) / len(items):.1f}</td>"
            f"<td class='num'>{sum(i['missed'] for i in items)}</td></tr>"
            for name, items in sorted(streets.items(), key=lambda kv: -sum(i["met"] for i in kv[1]) / len(kv[1])))
        body = (f"<p><a href='/district'>← 各站情况</a>　<a href='/district/evaluation.xlsx?year={year}&amp;month={month}'>导出Excel</a></p>"
                f"<h2>{year}年{month}月 “五有”月度评估{('（' + _h(street) + '）') if street else ''}</h2>{picker}{pager}"
                + scroll("<table><tr><th>名次</th><th>实践站</th><th>所属街道</th><th>达标项</th><th>有风险</th><th>未达标</th><th>主要问题</th></tr>"
                         f"{rows}</table>")
                + "<h3>各街道（所）</h3>"
                + scroll(f"<table><tr><th>街道（所）</th><th>实践站数</th><th>平均达标项</th><th>未达标合计</th></tr>{street_rows}</table>"))
        return page("月度评估", body, user=user)

    @api.get("/district/evaluation.xlsx", include_in_schema=False)
    def evaluation_xlsx(request: Request, year: int = YEAR, month: int = MONTH):
        if current_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        today = date.today()
        year, month = year or today.year, month or today.month
        with engine.connect() as conn:
            ranked = evaluation(conn, year, month, full=True)
        rules = ranked[0]["verdicts"] if ranked else []
        headers = ["名次", "实践站", "所属街道", "达标项", "有风险", "未达标"] + [f"{v.title}（{v.section}）" for v in rules]
        rows = [[n, r["account"].name, r["account"].street, f"{r['met']}/{r['counted']}", r["at_risk"], r["missed"]]
                + [f"{STATUS_LABELS[v.status]} {v.progress}" for v in r["verdicts"]] for n, r in enumerate(ranked, start=1)]
        return xlsx_response(f"{year}年{month}月 新时代文明实践站“五有”月度评估", headers, rows, f"{year}年{month}月五有评估.xlsx")

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

    def stale_note(conn) -> str:
        """Enrolled stations that have not synced for STALE_DAYS days, at the top of the page."""
        now = utcnow()
        cutoff = now - timedelta(days=STALE_DAYS)
        late_ones = and_(account.c.station_id != None, account.c.revoked == False,  # noqa: E711,E712
                         (account.c.last_sync_at == None) | (account.c.last_sync_at <= cutoff))  # noqa: E711
        count = conn.execute(select(func.count()).select_from(account).where(late_ones)).scalar_one()
        late = []
        for acct in conn.execute(select(account.c.name, account.c.last_sync_at).where(late_ones)
                                 .order_by(account.c.last_sync_at.asc().nulls_first(), account.c.name).limit(30)):
            last = acct.last_sync_at
            if last is not None and last.tzinfo is None:
                from datetime import UTC

                last = last.replace(tzinfo=UTC)
            late.append(f"{_h(acct.name)}（登记后从未同步）" if last is None else f"{_h(acct.name)}（{(now - last).days} 天未同步）")
        late += [""] * (count - len(late))  # counted, not listed
        if not late:
            return ""
        shown = "、".join(late[:30]) + (f" 等 {count} 个站" if count > 30 else "")
        return f'<p class="stale"><strong>超过 {STALE_DAYS} 天未同步：</strong>{shown}</p>'

    def monthly_chart(conn, year: int) -> str:
        """Activities per month per street in ``year``: a small bar chart (inline SVG, no scripts)."""
        rows = stats.per_street_month(conn, year)
        counts: dict[str, list[int]] = {}
        for street_name, m, n in rows:
            counts.setdefault(street_name or "（未填街道）", [0] * 12)[int(m) - 1] = n
        if not counts:
            return "<p>本年还没有已开展的活动。</p>"
        top = max(max(v) for v in counts.values()) or 1
        label_w, bar_w, gap, row_h = 110, 22, 4, 46
        width = label_w + 12 * (bar_w + gap) + 10
        parts = [f'<svg class="chart" role="img" aria-label="{year}年各街道每月活动次数" viewBox="0 0 {width} {row_h * len(counts) + 24}" '
                 f'width="{width}" height="{row_h * len(counts) + 24}" xmlns="http://www.w3.org/2000/svg">']
        for m in range(12):
            parts.append(f'<text x="{label_w + m * (bar_w + gap) + bar_w / 2}" y="14" font-size="11" text-anchor="middle">{m + 1}月</text>')
        for i, (name, values) in enumerate(sorted(counts.items())):
            base = 24 + (i + 1) * row_h - 8
            parts.append(f'<text x="0" y="{base - 10}" font-size="13">{_h(name[:8])}</text>')
            for m, n in enumerate(values):
                h = round((row_h - 16) * n / top)
                x = label_w + m * (bar_w + gap)
                parts.append(f'<rect x="{x}" y="{base - h}" width="{bar_w}" height="{h}" fill="#b71c1c"><title>{_h(name)} {m + 1}月：{n} 次</title></rect>')
                if n:
                    parts.append(f'<text x="{x + bar_w / 2}" y="{base - h - 2}" font-size="10" text-anchor="middle">{n}</text>')
        parts.append("</svg>")
        return "".join(parts)

    def streets_of(conn) -> list[str]:
        return [r for (r,) in conn.execute(select(account.c.street).distinct().order_by(account.c.street)) if r]

    @api.get("/district", include_in_schema=False)
    def overview(request: Request, year: int = YEAR, month: int = MONTH, street: str = Query("", max_length=100),
                 sort: str = Query("street", pattern="^(name|street|sync|stale|received)$"),
                 p: int = Query(1, ge=1, le=100_000)):
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        today = date.today()
        year, month = year or today.year, month or today.month
        with engine.connect() as conn:
            stations, total = overview_rows(conn, year, month, street, sort=sort, page_no=p, size=PAGE_SIZE)
            note = stale_note(conn)
            chart = monthly_chart(conn, year)
            streets = streets_of(conn)
        rows = []
        for f in stations:
            acct = f["account"]
            teams = "、".join(f"{_h(name)} {n}次" if n else f'<span class="bad">{_h(name)} 0次</span>' for name, n in f["per_team"]) or "—"
            status = '<span class="bad">已停用</span>' if acct.revoked else ("未登记" if not acct.station_id else '<span class="ok">正常</span>')
            rows.append(
                f'<tr><td><a href="/district/station/{acct.id}?year={year}&amp;month={month}">{_h(acct.name)}</a></td><td>{_h(acct.street)}</td><td>{status}</td>'
                f'<td>{_local(acct.last_sync_at)}</td><td class="num">{acct.rows_received}</td><td class="num">{acct.rows_rejected}</td>'
                f'<td class="num">{f["month_total"]}</td><td>{teams}</td><td class="num">{f["volunteers"]}</td><td class="num">{f["hours"]:g}</td></tr>')
        table = ('<table><tr><th>实践站</th><th>所属街道</th><th>状态</th><th>最近同步（北京时间）</th><th>收到记录</th><th>被拒记录</th>'
                 f'<th>{month}月活动</th><th>{month}月各服务队活动</th><th>志愿者</th><th>{year}年服务时长</th></tr>{"".join(rows)}</table>')
        street_options = '<option value="">全部街道</option>' + "".join(
            f'<option value="{_h(x)}"{" selected" if x == street else ""}>{_h(x)}</option>' for x in streets)
        sorts = {"street": "按街道", "name": "按站名", "sync": "最近同步在前", "stale": "最久未同步在前", "received": "收到记录多的在前"}
        sort_options = "".join(f'<option value="{k}"{" selected" if k == sort else ""}>{v}</option>' for k, v in sorts.items())
        picker = period_picker("/district", year, month).replace(
            '<button type="submit">', f'<label>街道 <select name="street">{street_options}</select></label>'
                                      f'<label>排序 <select name="sort">{sort_options}</select></label><button type="submit">')
        pages = max(1, -(-total // PAGE_SIZE))
        here = f"/district?year={year}&amp;month={month}&amp;street={quote(street)}&amp;sort={sort}"
        pager = (f'<p class="pager">共 {total} 个站，第 {min(p, pages)}/{pages} 页　'
                 + (f'<a href="{here}&amp;p={p - 1}">上一页</a>　' if p > 1 else "")
                 + (f'<a href="{here}&amp;p={p + 1}">下一页</a>' if p < pages else "") + "</p>")
        export = f"/district/overview.xlsx?year={year}&amp;month={month}&amp;street={quote(street)}&amp;sort={sort}"
        link = ("<p><a href='/district/evaluation'>“五有”月度评估与排名 →</a>　<a href='/district/demands'>“五单”办理情况 →</a>　<a href='/district/packages'>U盘同步包 →</a>　<a href='/district/stations/add'>批量添加实践站 →</a>"
                f"　<a href='{export}'>导出Excel</a></p>")
        body = (f"<h2>各实践站情况（{year}年{month}月{('，' + _h(street)) if street else ''}）</h2>{note}{link}{picker}"
                f"{pager}{scroll(table)}{pager if total > PAGE_SIZE else ''}<h3>{year}年各街道每月开展活动次数</h3>{scroll(chart)}")
        return page("各实践站情况", body, user=user)

    @api.get("/district/overview.xlsx", include_in_schema=False)
    def overview_xlsx(request: Request, year: int = YEAR, month: int = MONTH, street: str = Query("", max_length=100),
                      sort: str = Query("street", pattern="^(name|street|sync|stale|received)$")):
        if current_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        today = date.today()
        year, month = year or today.year, month or today.month
        with engine.connect() as conn:
            stations, _total = overview_rows(conn, year, month, street, sort=sort)  # every station, not one page
        rows = [[f["account"].name, f["account"].street, "已停用" if f["account"].revoked else ("未登记" if not f["account"].station_id else "正常"),
                 (f["account"].last_sync_at + timedelta(hours=8)).replace(tzinfo=None) if f["account"].last_sync_at else "从未同步",
                 f["account"].rows_received, f["account"].rows_rejected, f["month_total"],
                 "、".join(f"{name} {n}次" for name, n in f["per_team"]), f["volunteers"], f["hours"]] for f in stations]
        headers = ["实践站", "所属街道", "状态", "最近同步（北京时间）", "收到记录", "被拒记录", f"{month}月活动", f"{month}月各服务队活动", "志愿者",
                   f"{year}年服务时长"]
        return xlsx_response(f"{year}年{month}月各实践站情况", headers, rows, f"{year}年{month}月各实践站情况.xlsx")

    @api.get("/district/photo/{sha}", include_in_schema=False)
    def photo(request: Request, sha: str = PathParam(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$"), thumb: int = Query(0, ge=0, le=1)):
        if current_user(request) is None:
            return Response(status_code=401)
        data = api.state.photos.thumbnail(sha) if thumb else api.state.photos.get(sha)
        if data is None:
            return Response(status_code=404)
        kind = "image/jpeg" if thumb or data[:3] == b"\xff\xd8\xff" else "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "application/octet-stream"
        return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=86400"})

    @api.get("/district/demands", include_in_schema=False)
    def demands_page(request: Request, sent: str = "", withdrawn: str = ""):
        """The 五单 loop across the district: each station's demands by state, and what became of the district's dispatches."""
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        notice = f'<p class="ok">已派单给“{_h(sent)}”，该站下次同步时收到。</p>' if sent else ""
        if withdrawn:
            notice = '<p class="ok">已撤回派单，该站下次同步时撤销（该站若已完成服务，则保留服务结果）。</p>'
        return render_demands(request, user, notice=notice)

    @api.post("/district/demands/dispatch", include_in_schema=False)
    def dispatch_form(request: Request, csrf: str = Form(""), station: str = Form(""), requester: str = Form(""), contact: str = Form(""),
                      content: str = Form(""), category: str = Form(""), address: str = Form(""), due_on: str = Form(""),
                      note: str = Form("")):
        """区中心派单 from the browser: the same checks as the command line, errors beside the form, nothing half-written."""
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        values = {"station": station, "requester": requester, "contact": contact, "content": content, "category": category,
                  "address": address, "due_on": due_on, "note": note}
        if not secrets.compare_digest(csrf, csrf_token(request)):
            return render_demands(request, user, errors={"form": "页面已过期，请刷新后重新提交"}, values=values, status=403)
        try:
            admin.dispatch_demand(engine, station, requester=requester, content=content, category=category, contact=contact,
                                  address=address, due_on=due_on or None, note=note)
        except ValidationError as exc:
            return render_demands(request, user, errors=exc.errors, values=values, status=422)
        except NotFound as exc:
            return render_demands(request, user, errors={"station": str(exc)}, values=values, status=422)
        return RedirectResponse(f"/district/demands?sent={quote(station)}", status_code=303)

    @api.post("/district/demands/withdraw", include_in_schema=False)
    def withdraw_form(request: Request, csrf: str = Form(""), dispatch_id: str = Form(""), reason: str = Form("")):
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        if not secrets.compare_digest(csrf, csrf_token(request)):
            return render_demands(request, user, errors={"withdraw": "页面已过期，请刷新后重新提交"}, status=403)
        try:
            admin.withdraw_dispatch(engine, dispatch_id, reason)
        except (ValidationError, NotFound) as exc:
            return render_demands(request, user, errors={"withdraw": f"不能撤回：{exc}"}, status=422)
        return RedirectResponse("/district/demands?withdrawn=1", status_code=303)

    def csrf_token(request: Request) -> str:
        return csrf_of(request.cookies.get(COOKIE, ""))

    def dispatch_form_html(request: Request, errors: dict, values: dict) -> str:
        with engine.connect() as conn:
            stations = conn.execute(select(account.c.name).where(account.c.station_id.is_not(None), account.c.revoked == False)  # noqa: E712
                                    .order_by(account.c.street, account.c.name)).scalars().all()

        def err(field: str) -> str:
            return f'<div class="bad">{_h(errors[field])}</div>' if field in errors else ""

        def field(name: str, label: str, control: str) -> str:
            return f"<label>{label}{control}{err(name)}</label>"

        def text_input(name: str, kind: str = "text") -> str:
            return f'<input name="{name}" type="{kind}" value="{_h(values.get(name, ""))}">'

        options = "".join(f'<option{" selected" if n == values.get("station") else ""}>{_h(n)}</option>' for n in stations)
        categories = "".join(f'<option{" selected" if c == values.get("category", "便民服务") else ""}>{_h(c)}</option>' for c in TEAM_CATEGORIES)
        return (f'<form class="dispatch" method="post" action="/district/demands/dispatch"><h3>区中心派单</h3>{err("form")}'
                f'<input type="hidden" name="csrf" value="{csrf_token(request)}">'
                + field("station", "实践站", f'<select name="station">{options}</select>')
                + field("requester", "点单群众", text_input("requester")) + field("contact", "联系电话", text_input("contact"))
                + field("category", "服务类别", f'<select name="category">{categories}</select>')
                + field("address", "服务地点", text_input("address")) + field("due_on", "办结期限", text_input("due_on", "date"))
                + field("content", "需求内容", f'<textarea name="content" rows="2">{_h(values.get("content", ""))}</textarea>')
                + field("note", "说明", text_input("note"))
                + '<button type="submit">派单</button></form>')

    def demands_data(conn, today: date) -> tuple[list[dict], list[dict]]:
        """The 五单 loop across the district: per station, its demands by state; and the district's dispatches
        with what became of each. One source for the page and its Excel export."""
        demand = TABLES["demand"]
        waiting = [S.ordered.value, S.approved.value, S.dispatched.value, S.taken.value]
        live_demand = demand.c.deleted == False  # noqa: E712
        names = {a.station_id: a.name for a in conn.execute(select(account)) if a.station_id}
        per_station: dict[str, dict] = {}
        for station_id, state, n in conn.execute(select(demand.c.station_id, demand.c.state, func.count())
                                                 .where(live_demand).group_by(demand.c.station_id, demand.c.state)):
            per_station.setdefault(station_id, {})[state] = n
        overdue = dict(conn.execute(select(demand.c.station_id, func.count()).where(
            live_demand, demand.c.state.in_(waiting), demand.c.due_on < today).group_by(demand.c.station_id)).all())
        ratings = dict(conn.execute(select(demand.c.station_id, func.avg(demand.c.rating)).where(
            live_demand, demand.c.rating.is_not(None)).group_by(demand.c.station_id)).all())
        sent = conn.execute(select(announcement).where(announcement.c.kind == "dispatch")
                            .order_by(announcement.c.seq.desc()).limit(200)).all()
        outcome = {d.dispatch_id: d for d in conn.execute(select(demand).where(
            demand.c.dispatch_id.in_([a.id for a in sent]))).all()} if sent else {}
        withdrawn = set()
        for body in conn.execute(select(announcement.c.body).where(announcement.c.kind == "dispatch_withdrawn")).scalars():
            try:
                withdrawn.add(json.loads(body).get("dispatch_id"))
            except (ValueError, AttributeError):
                pass
        stations = []
        for station_id, counts in sorted(per_station.items(), key=lambda kv: names.get(kv[0], "")):
            avg = ratings.get(station_id)
            stations.append({"name": names.get(station_id, station_id[:8]), "total": sum(counts.values()),
                             "open": sum(counts.get(s, 0) for s in waiting),
                             "unrated": counts.get(S.done.value, 0) + counts.get(S.rated.value, 0), "closed": counts.get(S.rewarded.value, 0),
                             "refused": counts.get(S.rejected.value, 0) + counts.get(S.cancelled.value, 0),
                             "late": overdue.get(station_id, 0), "rating": round(float(avg), 1) if avg is not None else None})
        dispatches = []
        for a in sent:
            d = outcome.get(a.id)
            late = False
            if a.id in withdrawn and (d is None or d.state in waiting):
                state = "已撤回（等待该站同步）"
            elif d is None:
                state = "未送达（等待该站同步）"
            else:
                state = S(d.state).label + (f"，评分 {d.rating}" if d.rating else "")
                late = d.state in waiting and d.due_on < today
            try:
                asked = json.loads(a.body)
                what = f"{asked.get('requester', '')}（{asked.get('category', '')}）：{asked.get('content', '')}"
            except (ValueError, AttributeError):
                what = a.title
            dispatches.append({"id": a.id, "published_at": a.published_at, "station": names.get(a.station_id, ""), "what": what,
                               "state": state + ("（已超期）" if late else ""), "late": late,
                               "feedback": d.feedback if d is not None else "",
                               "can_withdraw": a.id not in withdrawn and (d is None or d.state in waiting)})
        return stations, dispatches

    @api.get("/district/demands.xlsx", include_in_schema=False)
    def demands_xlsx(request: Request):
        if current_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        today = date.today()
        with engine.connect() as conn:
            stations, dispatches = demands_data(conn, today)
        headers = ["实践站", "点单总数", "办理中", "待评/待奖", "已办结", "不予受理/撤销", "超期未办", "平均评分"]
        rows = [[r["name"], r["total"], r["open"], r["unrated"], r["closed"], r["refused"], r["late"], r["rating"] if r["rating"] is not None else "—"]
                for r in stations]
        rows += [[], ["区中心派单", "派单时间（北京时间）", "需求", "办理情况", "群众评价"]]
        rows += [[r["station"], (r["published_at"] + timedelta(hours=8)).replace(tzinfo=None), r["what"], r["state"], r["feedback"]]
                 for r in dispatches]
        return xlsx_response(f"“五单”办理情况（截至{today.year}年{today.month}月{today.day}日）", headers, rows,
                             f"五单办理情况-{today:%Y%m%d}.xlsx")

    def render_demands(request: Request, user, *, errors: dict | None = None, values: dict | None = None, notice: str = "",
                       status: int = 200):
        today = date.today()
        with engine.connect() as conn:
            stations, dispatches = demands_data(conn, today)
        rows = [f"<tr><td>{_h(r['name'])}</td><td class='num'>{r['total']}</td><td class='num'>{r['open']}</td>"
                f"<td class='num'>{r['unrated']}</td><td class='num'>{r['closed']}</td><td class='num'>{r['refused']}</td>"
                f"<td class='num{' bad' if r['late'] else ''}'>{r['late']}</td>"
                f"<td class='num'>{r['rating'] if r['rating'] is not None else '—'}</td></tr>" for r in stations]
        table = ("<table><tr><th>实践站</th><th>点单总数</th><th>办理中</th><th>待评/待奖</th><th>已办结</th><th>不予受理/撤销</th>"
                 f"<th>超期未办</th><th>平均评分</th></tr>{''.join(rows) or '<tr><td colspan=8>尚无点单</td></tr>'}</table>")
        sent_rows = []
        token = csrf_token(request)
        for r in dispatches:
            state = f'<span class="bad">{_h(r["state"])}</span>' if r["late"] else _h(r["state"])
            withdraw = (f'<form class="withdraw" method="post" action="/district/demands/withdraw"><input type="hidden" name="csrf" '
                        f'value="{token}"><input type="hidden" name="dispatch_id" value="{_h(r["id"])}">'
                        '<input name="reason" placeholder="撤回原因" required><button type="submit">撤回</button></form>') if r["can_withdraw"] else ""
            sent_rows.append(f"<tr><td>{_local(r['published_at'])}</td><td>{_h(r['station'])}</td><td>{_h(r['what'])}</td>"
                             f"<td>{state}</td><td>{_h(r['feedback'])}</td><td>{withdraw}</td></tr>")
        sent_table = ("<table><tr><th>派单时间</th><th>实践站</th><th>需求</th><th>办理情况</th><th>群众评价</th><th></th></tr>"
                      f"{''.join(sent_rows) or '<tr><td colspan=6>区中心尚未派单</td></tr>'}</table>")
        if "withdraw" in (errors or {}):
            sent_table = f'<p class="bad">{_h(errors["withdraw"])}</p>' + sent_table
        body = (f"<p><a href='/district'>← 返回各站情况</a>　<a href='/district/demands.xlsx'>导出Excel</a></p>"
                f"<h2>“五单”办理情况（截至{today.year}年{today.month}月{today.day}日）</h2>"
                f"{notice}{table}{dispatch_form_html(request, errors or {}, values or {})}<h3>区中心派单的办理结果</h3>{sent_table}")
        response = page("“五单”办理情况", body, user=user)
        response.status_code = status
        return response

    @api.get("/district/station/{account_id}", include_in_schema=False)
    def station_detail(request: Request, account_id: int = PathParam(ge=1, le=2**31 - 1), year: int = YEAR, month: int = MONTH):
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        today = date.today()
        year, month = year or today.year, month or today.month
        on = period_end(year, month)
        activity, team, photo_table = TABLES["activity"], TABLES["team"], TABLES["photo"]
        with engine.connect() as conn:
            acct = conn.execute(select(account).where(account.c.id == account_id)).first()
            if acct is None:
                return page("找不到", "<p>找不到该实践站</p>", user=user)
            f = station_figures(conn, acct.station_id, on) if acct.station_id else {"volunteers": 0, "hours": 0, "per_team": [], "month_total": 0}
            month_start, month_end = month_range(year, month)
            recent = conn.execute(
                select(activity.c.id, activity.c.date, activity.c.title, activity.c.category, team.c.name)
                .outerjoin(team, team.c.id == activity.c.team_id)
                .where(activity.c.station_id == acct.station_id, activity.c.deleted == False,  # noqa: E712
                       activity.c.date >= month_start, activity.c.date <= month_end).order_by(activity.c.date.desc()).limit(200)
            ).all() if acct.station_id else []
            pictures: dict[str, list] = {}
            if recent:
                for activity_id, sha, caption in conn.execute(
                        select(photo_table.c.activity_id, photo_table.c.sha256, photo_table.c.caption)
                        .where(photo_table.c.activity_id.in_([r.id for r in recent]), photo_table.c.deleted == False)):  # noqa: E712
                    pictures.setdefault(activity_id, []).append((sha, caption))
            batches = conn.execute(select(batch_log).where(batch_log.c.account_id == acct.id).order_by(batch_log.c.received_at.desc()).limit(10)).all()
            rejects = conn.execute(select(rejection).where(rejection.c.account_id == acct.id).order_by(rejection.c.id.desc()).limit(20)).all()
        teams = "".join(f"<tr><td>{_h(n)}</td><td class='num'>{c}</td></tr>" for n, c in f["per_team"])
        def thumbs(activity_id: str) -> str:
            items = pictures.get(activity_id, [])
            return ('<div class="photos">' + "".join(
                f'<a href="/district/photo/{sha}" target="_blank" rel="noopener"><img src="/district/photo/{sha}?thumb=1" loading="lazy" '
                f'alt="{_h(caption or "活动照片")}"></a>' for sha, caption in items) + "</div>") if items else "—"

        acts = "".join(f"<tr><td>{r.date}</td><td>{_h(r.title)}</td><td>{_h(r.category)}</td><td>{_h(r.name or '')}</td><td>{thumbs(r.id)}</td></tr>"
                       for r in recent)
        bl = "".join(f"<tr><td>{_local(b.received_at)}</td><td class='num'>{b.rows}</td><td class='num'>{b.applied}</td><td class='num'>{b.rejected}</td></tr>" for b in batches)
        rj = "".join(f"<tr><td>{_local(r.at)}</td><td>{_h(r.entity)}</td><td>{_h(r.reason)}</td></tr>" for r in rejects)
        body = (f"<p><a href='/district?year={year}&amp;month={month}'>← 返回各站情况</a></p><h2>{_h(acct.name)}</h2>"
                f"<p>所属街道：{_h(acct.street)}　最近同步：{_local(acct.last_sync_at)}"
                f"　志愿者 {f['volunteers']} 名　{year}年服务时长 {f['hours']:g} 小时</p>"
                f"{period_picker(f'/district/station/{acct.id}', year, month)}"
                f"<h3>{year}年{month}月各服务队活动</h3>{scroll(f'<table><tr><th>服务队</th><th>活动次数</th></tr>{teams}</table>')}"
                f"<h3>{year}年{month}月的活动（{len(recent)} 次）</h3>"
                f"{scroll(f'<table><tr><th>日期</th><th>活动名称</th><th>类别</th><th>服务队</th><th>照片</th></tr>{acts}</table>')}"
                f"<h3>最近收到的批次</h3>{scroll(f'<table><tr><th>时间</th><th>记录</th><th>已接收</th><th>被拒</th></tr>{bl}</table>')}"
                f"<h3>被拒的记录</h3>{scroll(f'<table><tr><th>时间</th><th>类型</th><th>原因</th></tr>{rj}</table>')}")
        return page(acct.name, body, user=user)

    def upload_refused(request: Request, csrf: str, upload, missing: str, limit: int, what: str) -> tuple[str, int] | None:
        """A staff form's file upload: (message, status) when it cannot be taken, else None."""
        if not secrets.compare_digest(csrf, csrf_token(request)):
            return "页面已过期，请刷新后重新提交", 403
        if upload is None or not upload.filename:
            return missing, 422
        if (upload.size or 0) > limit:
            return f"{what}过大（上限 {limit // 1024 // 1024} MB）", 413
        return None

    # -- USB sync packages ------------------------------------------------------------------
    @api.get("/district/packages", include_in_schema=False)
    def packages_page(request: Request, done: int = Query(0, ge=0, le=2**31 - 1)):
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return render_packages(request, user, done=done)

    @api.post("/district/packages", include_in_schema=False)
    def upload_package(request: Request, csrf: str = Form("", max_length=100), package: UploadFile | None = File(None)):
        """导入同步包 from the browser: the same checks and per-row path as the command line; the reply to
        carry back is kept and offered for download."""
        from ..package import MAX_PACKAGE_BYTES, PackageError
        from .packages import import_package

        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        refused = upload_refused(request, csrf, package, "同步包：请选择实践站导出的同步包文件（.slpkg）", MAX_PACKAGE_BYTES, "同步包")
        if refused:
            return render_packages(request, user, error=refused[0], status=refused[1])
        try:
            result = import_package(engine, api.state.photos, package.file, by=user.display_name)
        except PackageError as exc:
            return render_packages(request, user, error=f"同步包“{package.filename}”未导入：{exc}", status=422)
        return RedirectResponse(f"/district/packages?done={result.import_id}", status_code=303)

    @api.get("/district/packages/{import_id}/reply", include_in_schema=False)
    def package_reply(request: Request, import_id: int = PathParam(ge=1, le=2**31 - 1)):
        if current_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        with engine.connect() as conn:
            row = conn.execute(select(package_import.c.reply, package_import.c.reply_name).where(package_import.c.id == import_id)).first()
        if row is None:
            missing = page("找不到回执", "<p>找不到这份回执。<a href='/district/packages'>返回</a></p>")
            missing.status_code = 404
            return missing
        return Response(row.reply, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename=\"reply.slreply\"; filename*=UTF-8''{quote(row.reply_name)}"})

    def render_packages(request: Request, user, *, done: int = 0, error: str = "", status: int = 200):
        with engine.connect() as conn:
            recent = conn.execute(select(package_import, account.c.name).join(account, account.c.id == package_import.c.account_id)
                                  .order_by(package_import.c.id.desc()).limit(50)).all()
        notice = ""
        for r in recent:
            if r.id == done:
                notice = (f'<p class="ok">已导入“{_h(r.name)}”的同步包：新接收 {r.applied} 条，被拒 {r.rejected} 条。'
                          f'请<a href="/district/packages/{r.id}/reply">下载回执文件</a>，拷到U盘带回实践站，在“同步”页点“导入回执”。</p>')
        rows = "".join(
            f"<tr><td>{_local(r.imported_at)}</td><td>{_h(r.name)}</td><td>{_h(r.imported_by)}</td><td class='num'>{r.rows}</td>"
            f"<td class='num'>{r.applied}</td><td class='num'>{r.rejected}</td>"
            f"<td><a href='/district/packages/{r.id}/reply'>下载回执</a></td></tr>" for r in recent)
        body = (f"<p><a href='/district'>← 返回各站情况</a></p><h2>U盘同步包</h2>"
                f"<p>没有网络的实践站在“同步”页导出同步包，用U盘带到区里。导入后把回执文件带回该站导入，两边的数据就一致了。"
                f"同一个包导入两次不会重复。</p>{notice}"
                + (f'<p class="bad">{_h(error)}</p>' if error else "")
                + f'<form class="dispatch" method="post" action="/district/packages" enctype="multipart/form-data"><h3>导入同步包</h3>'
                f'<input type="hidden" name="csrf" value="{csrf_token(request)}">'
                f'<label>同步包文件<input type="file" name="package" accept=".slpkg"></label><button type="submit">导入</button></form>'
                f"<h3>最近导入的同步包</h3>"
                + scroll(f"<table><tr><th>导入时间</th><th>实践站</th><th>导入人</th><th>记录</th><th>新接收</th><th>被拒</th><th>回执</th></tr>"
                         f"{rows or '<tr><td colspan=7>尚未导入过同步包</td></tr>'}</table>"))
        response = page("U盘同步包", body, user=user)
        response.status_code = status
        return response

    # -- stations in bulk -----------------------------------------------------------------------------
    @api.get("/district/stations/add", include_in_schema=False)
    def add_stations_page(request: Request):
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return render_add_stations(request, user)

    @api.post("/district/stations/add", include_in_schema=False)
    def add_stations_form(request: Request, csrf: str = Form("", max_length=100), server_url: str = Form("", max_length=300),
                          sheet: UploadFile | None = File(None)):
        """The same as station district add-stations: all or nothing, the codes only on the PDF it answers with."""
        import tempfile
        from pathlib import Path as FilePath

        from app.services.errors import ServiceError, ValidationError as SheetError

        from .stations import add_stations, code_slips_pdf, read_stations

        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        refused = upload_refused(request, csrf, sheet, "表格：请选择 .xlsx、.xls 或 .csv 文件", 10 * 1024 * 1024, "表格")
        if refused:
            return render_add_stations(request, user, error=refused[0], status=refused[1])
        with tempfile.TemporaryDirectory() as tmp:
            suffix = FilePath(sheet.filename).suffix.lower()
            source = FilePath(tmp) / f"stations{suffix if suffix in ('.xlsx', '.xls', '.csv') else '.xlsx'}"
            source.write_bytes(sheet.file.read())
            try:
                issued = add_stations(engine, read_stations(source))
            except SheetError as exc:
                return render_add_stations(request, user, error="没有添加任何实践站：\n" + "\n".join(exc.errors.values()), status=422)
            except ServiceError as exc:
                return render_add_stations(request, user, error=f"没有添加任何实践站：{exc}", status=422)
            pdf = code_slips_pdf(FilePath(tmp) / "codes.pdf", issued, server_url=server_url.strip(), district=user.display_name)
            data = pdf.read_bytes()
        name = quote(f"实践站登记码-{len(issued)}个.pdf")
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename=\"codes.pdf\"; filename*=UTF-8''{name}"})

    def render_add_stations(request: Request, user, *, error: str = "", status: int = 200):
        body = ("<p><a href='/district'>← 返回各站情况</a></p><h2>批量添加实践站</h2>"
                "<p>上传一张表格，每行一个实践站，列为：<strong>街道、站名、村/社区、常住人口</strong>（第一行是表头；.xlsx、.xls 或 .csv）。"
                "有任何一行不对，一个也不添加，并逐行说明。添加成功后下载一份PDF，每站一张登记码，裁开分发；登记码只在这份PDF里。</p>"
                + (f'<p class="bad" style="white-space:pre-line">{_h(error)}</p>' if error else "")
                + '<form class="dispatch" method="post" action="/district/stations/add" enctype="multipart/form-data"><h3>上传表格</h3>'
                f'<input type="hidden" name="csrf" value="{csrf_token(request)}">'
                '<label>表格<input type="file" name="sheet" accept=".xlsx,.xls,.csv"></label>'
                '<label>印在登记码上的服务器地址（可不填）<input name="server_url" placeholder="https://wmsj.gangcheng.gov.cn"></label>'
                '<button type="submit">添加并下载登记码</button></form>')
        response = page("批量添加实践站", body, user=user)
        response.status_code = status
        return response
