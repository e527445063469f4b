"""The page a 实践所's 专管员 opens every Monday (#30): one street's 所 and stations for a month, with its 月度评估 (六.4)
as PDF and as Excel. A 街道 account sees its own street only (another street is not found); the district's accounts
pick any street."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from . import admin
from .street_status import StreetStatus, street_status
from .streets import half_up
from .web import Staff

STREET = Query("", max_length=100, description="街道")


def install(api: FastAPI, staff: Staff) -> None:
    from .web import MONTH, YEAR, beijing_time, render, xlsx_response, years_back

    engine, out_of_scope = staff.engine, staff.out_of_scope

    def status_for(request: Request, street: str, year: int, month: int):
        """(user, the street's status or None when no street is picked yet, the streets offered, a response to send
        instead: not found for another street's account or a street nobody enrolled in). Without a session, the
        login."""
        user = staff.signed_in(request)
        if user.street and street not in ("", user.street):
            return user, None, [], out_of_scope(user, "找不到该街道", back="/district/today")
        street, today = user.street or street, date.today()
        if (year or today.year, month or today.month) > (today.year, today.month):  # nothing to say of it yet (#30)
            here = f"?street={quote(street)}" if street and not user.street else ""
            return user, None, [], render(
                "message.html", title="月份未到", user=user, error=True, status=422, back="/district/street/status" + here,
                back_label="← 返回本月", message=f"{year or today.year}年{month or today.month}月尚未开始：请选择本月"
                f"（{today.year}年{today.month}月）或以前的月份。")
        with engine.connect() as conn:
            known = admin.streets(conn)
            if street and street not in known and not user.street:
                return user, None, known, out_of_scope(user, "找不到该街道", back="/district/street/status")
            status = street_status(conn, street, year or today.year, month or today.month, today=today) if street else None
        return user, status, known, None

    @api.get("/district/street/status", include_in_schema=False)
    def status_page(request: Request, street: str = STREET, year: int = YEAR, month: int = MONTH):
        user, status, known, refused = status_for(request, street, year, month)
        if refused is not None:
            return refused
        today = date.today()
        return render("street_status.html", title=f"{status.street}所、站情况" if status else "街道所、站情况", user=user,
                      s=status, streets=known, years=years_back(), year=year or today.year, month=month or today.month,
                      q=quote, whole_district=not user.street)

    def download(request: Request, street: str, year: int, month: int, make):
        user, status, _known, refused = status_for(request, street, year, month)
        if refused is not None:
            return refused
        if status is None:
            return out_of_scope(user, "请先选择街道", back="/district/street/status")
        return make(user, status)

    @api.get("/district/street/status.pdf", include_in_schema=False)
    def status_pdf(request: Request, street: str = STREET, year: int = YEAR, month: int = MONTH):
        def make(user, status: StreetStatus):
            from .street_report import status_pdf as build_pdf

            with tempfile.TemporaryDirectory() as tmp:
                data = build_pdf(status, Path(tmp) / "status.pdf", by=user.display_name).read_bytes()
            name = quote(f"{status.street}{status.label}月度评估.pdf")
            return Response(data, media_type="application/pdf",
                            headers={"Content-Disposition": f"attachment; filename=\"status.pdf\"; filename*=UTF-8''{name}"})
        return download(request, street, year, month, make)

    @api.get("/district/street/status.xlsx", include_in_schema=False)
    def status_xlsx(request: Request, street: str = STREET, year: int = YEAR, month: int = MONTH):
        def make(_user, status: StreetStatus):
            headers = ["名称", "级别", "本月“五有”", "本月达标项", "全年“五有”", "主要问题", "活动（次）", "服务时长（小时）",
                       "志愿者（名）", "品牌项目", "服务队", "本月没有活动的服务队", "未办结点单", "其中超期", "其中区中心派来",
                       "最近同步（北京时间）"]
            rows = [[u.name, u.tier,
                     u.month.text if u.month else status.unjudged(u), f"{u.month.met}/{u.month.counted}" if u.month else "",
                     u.year.text if u.year else status.unjudged(u, whole_year=True),
                     "；".join((u.month.problems if u.month else [])
                              + [f"{status.year}年：{p}" for p in u.year_missed + u.year_at_risk]),
                     u.activities, u.hours, u.volunteers, u.brand, u.teams, "、".join(u.idle_teams),
                     u.open_demands, u.overdue_demands, u.from_district,
                     beijing_time(u.last_sync) + ("" if u.stale_days is None else f"（{u.stale_days} 天未同步）")]
                    for u in status.units]
            units = status.units
            if units:  # the page's 合计
                rows.append(["合计", "", "", "", "", "", sum(u.activities for u in units),
                             half_up(sum(u.hours for u in units), 1), sum(u.volunteers for u in units),
                             sum(u.brand for u in units), sum(u.teams for u in units), "",
                             sum(u.open_demands for u in units), sum(u.overdue_demands for u in units),
                             sum(u.from_district for u in units), ""])
            title = f"{status.street}新时代文明实践所、站月度情况（{status.label}，{status.today.year}年{status.today.month}月{status.today.day}日制表）"
            return xlsx_response(title, headers, rows, f"{status.street}{status.label}所站情况.xlsx",
                                 sheet=f"{status.label}所站情况")
        return download(request, street, year, month, make)
