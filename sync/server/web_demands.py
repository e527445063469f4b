"""The district's 五单 page (五.2): each station's demands by state, and the district's own dispatches to a station —
sent, followed and withdrawn from the browser."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import and_, func, select

from app.models.enums import TEAM_CATEGORIES, DemandState as S
from app.services.errors import NotFound, ValidationError

from . import admin, attention
from .admin import same_secret
from .db import TABLES, account
from .web import Staff, render, xlsx_response


def install(api: FastAPI, staff: Staff) -> None:
    engine, csrf_token, signed_in = staff.engine, staff.csrf_token, staff.signed_in

    @api.get("/district/demands", include_in_schema=False)
    def demands_page(request: Request, sent: str = "", withdrawn: str = ""):
        """The 五单 loop across the district: each station's demands by state, and what became of the district's dispatches."""
        user = signed_in(request)
        notice = f"已派单给“{sent}”，该站下次同步时收到。" if sent else ""
        if withdrawn:
            notice = "已撤回派单，该站下次同步时撤销（该站若已完成服务，则保留服务结果）。"
        return render_demands(request, user, notice=notice)

    @api.post("/district/demands/dispatch", include_in_schema=False)
    def dispatch_form(request: Request, csrf: str = Form(""), station: str = Form(""), requester: str = Form(""), contact: str = Form(""),
                      content: str = Form(""), category: str = Form(""), address: str = Form(""), due_on: str = Form(""),
                      note: str = Form("")):
        """区中心派单 from the browser: the same checks as the command line, errors beside the form, nothing half-written."""
        user = signed_in(request)
        values = {"station": station, "requester": requester, "contact": contact, "content": content, "category": category,
                  "address": address, "due_on": due_on, "note": note}
        if not same_secret(csrf, csrf_token(request)):
            return render_demands(request, user, errors={"form": "页面已过期，请刷新后重新提交"}, values=values, status=403)
        try:
            admin.dispatch_demand(engine, station, requester=requester, content=content, category=category, contact=contact,
                                  address=address, due_on=due_on or None, note=note, street=user.street)
        except ValidationError as exc:
            return render_demands(request, user, errors=exc.errors, values=values, status=422)
        except NotFound as exc:
            if user.street:  # what a 街道 account typed for a station outside its street is not echoed back
                values["station"] = ""
            return render_demands(request, user, errors={"station": str(exc)}, values=values, status=422)
        return RedirectResponse(f"/district/demands?sent={quote(station)}", status_code=303)

    @api.post("/district/demands/withdraw", include_in_schema=False)
    def withdraw_form(request: Request, csrf: str = Form(""), dispatch_id: str = Form(""), reason: str = Form("")):
        user = signed_in(request)
        if not same_secret(csrf, csrf_token(request)):
            return render_demands(request, user, errors={"withdraw": "页面已过期，请刷新后重新提交"}, status=403)
        try:
            admin.withdraw_dispatch(engine, dispatch_id, reason, street=user.street)
        except (ValidationError, NotFound) as exc:
            return render_demands(request, user, errors={"withdraw": f"不能撤回：{exc}"}, status=422)
        return RedirectResponse("/district/demands?withdrawn=1", status_code=303)

    def demands_data(conn, today: date, street: str = "") -> tuple[list[dict], list[dict]]:
        """The 五单 loop across the district (or ``street``'s stations only): per station, its demands by state; and
        the district's dispatches with what became of each. One source for the page and its Excel export."""
        demand = TABLES["demand"]
        waiting = [S.ordered.value, S.approved.value, S.dispatched.value, S.taken.value]
        live_demand = demand.c.deleted == False
        if street:
            live_demand = and_(live_demand, demand.c.station_id.in_(admin.station_ids_in(street)))
        names = {a.station_id: a.name for a in conn.execute(select(account).where(admin.in_street(street))) if a.station_id}
        per_station: dict[str, dict] = {}
        for station_id, state, n in conn.execute(select(demand.c.station_id, demand.c.state, func.count())
                                                 .where(live_demand).group_by(demand.c.station_id, demand.c.state)):
            per_station.setdefault(station_id, {})[state] = n
        overdue = dict(conn.execute(select(demand.c.station_id, func.count()).where(
            live_demand, demand.c.state.in_(waiting), demand.c.due_on < today).group_by(demand.c.station_id)).all())
        ratings = dict(conn.execute(select(demand.c.station_id, func.avg(demand.c.rating)).where(
            live_demand, demand.c.rating.is_not(None)).group_by(demand.c.station_id)).all())
        stations = []
        for station_id, counts in sorted(per_station.items(), key=lambda kv: names.get(kv[0], "")):
            avg = ratings.get(station_id)
            stations.append({"name": names.get(station_id, station_id[:8]), "total": sum(counts.values()),
                             "open": sum(counts.get(s, 0) for s in waiting),
                             "unrated": counts.get(S.done.value, 0) + counts.get(S.rated.value, 0), "closed": counts.get(S.rewarded.value, 0),
                             "refused": counts.get(S.rejected.value, 0) + counts.get(S.cancelled.value, 0),
                             "handed": counts.get(S.passed.value, 0) + counts.get(S.reported.value, 0),  # 五.2: served at another tier
                             "late": overdue.get(station_id, 0), "rating": round(float(avg), 1) if avg is not None else None})
        return stations, attention.dispatches(conn, today, street)

    @api.get("/district/demands.xlsx", include_in_schema=False)
    def demands_xlsx(request: Request):
        user = signed_in(request)
        today = date.today()
        with engine.connect() as conn:
            stations, dispatches = demands_data(conn, today, user.street)
        headers = ["实践站", "点单总数", "办理中", "待评/待奖", "已办结", "不予受理/撤销", "转派/上报", "超期未办", "平均评分"]
        rows = [[r["name"], r["total"], r["open"], r["unrated"], r["closed"], r["refused"], r["handed"], r["late"],
                 r["rating"] if r["rating"] is not None else "—"] for r in stations]
        rows += [[], ["区中心派单", "派单时间（北京时间）", "需求", "办理情况", "群众评价", "派单编号", "办结期限", "接单", "撤回原因", "派单方"]]
        rows += [[r["station"], (r["published_at"] + timedelta(hours=8)).replace(tzinfo=None), r["what"], r["state"], r["feedback"],
                  r["short"], r["due_on"], r["taken_by"], r["reason"], r["via"]] for r in dispatches]
        return xlsx_response(f"“五单”办理情况（截至{today.year}年{today.month}月{today.day}日）", headers, rows,
                             f"五单办理情况-{today:%Y%m%d}.xlsx")

    def render_demands(request: Request, user, *, errors: dict | None = None, values: dict | None = None, notice: str = "",
                       status: int = 200):
        today = date.today()
        with engine.connect() as conn:
            stations, dispatches = demands_data(conn, today, user.street)
            names = conn.execute(select(account.c.name).where(account.c.station_id.is_not(None), account.c.revoked == False,
                                                              admin.in_street(user.street))
                                 .order_by(account.c.street, account.c.name)).scalars().all()
        return render("demands.html", title="“五单”办理情况", user=user, status=status, today=today, notice=notice, stations=stations,
                      dispatches=dispatches, errors=errors or {}, values=values or {}, station_names=names, categories=TEAM_CATEGORIES,
                      csrf=csrf_token(request))
