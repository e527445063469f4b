"""The district-wide administrator's pages: stations added in bulk (their enrolment codes on a PDF), announcements,
the 五有 rules and the street evaluation's weights published from the browser as from the command line (#30)."""

from __future__ import annotations

from collections.abc import Callable

from urllib.parse import quote

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.services.errors import ValidationError

from . import admin
from .admin import same_secret
from .db import announcement

from .web import Staff, render


def install(api: FastAPI, staff: Staff) -> Callable[..., HTMLResponse]:
    engine, csrf_token, signed_in = staff.engine, staff.csrf_token, staff.signed_in
    take_upload, district_only = staff.take_upload, staff.district_only

    # -- stations in bulk -----------------------------------------------------------------------------
    @api.get("/district/stations/add", include_in_schema=False)
    def add_stations_page(request: Request):
        user = signed_in(request)
        if user.street:
            return district_only(user)
        return render_add_stations(request, user)

    @api.post("/district/stations/add", include_in_schema=False)
    def add_stations_form(request: Request, csrf: str = Form("", max_length=100), server_url: str = Form("", max_length=300),
                          sheet: UploadFile | None = File(None)):
        """The same as station district add-stations: all or nothing, the codes only on the PDF it answers with."""
        import tempfile
        from pathlib import Path as FilePath

        from app.services.errors import ServiceError, ValidationError as SheetError

        from .stations import add_stations, code_slips_pdf, read_stations

        user = signed_in(request)
        if user.street:
            return district_only(user)
        taken = take_upload(request, csrf, sheet, "表格：请选择 .xlsx、.xls 或 .csv 文件", 10 * 1024 * 1024, "表格")
        if isinstance(taken, tuple):
            return render_add_stations(request, user, error=taken[0], status=taken[1])
        sheet = taken
        with tempfile.TemporaryDirectory() as tmp:
            suffix = FilePath(sheet.filename or "").suffix.lower()
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
        return render("add_stations.html", title="批量添加实践站", user=user, status=status, error=error, csrf=csrf_token(request))

    # -- announcements and rules, published from the browser as from the command line (#30) -----------------------
    PUBLISHING = "发布通知和考核规则"

    def render_publish(request: Request, user, *, errors: dict | None = None, values: dict | None = None, notice: str = "",
                       status: int = 200):
        from .db import street_weights
        from .streets import weights_in_force

        with engine.connect() as conn:
            version, at, _text = admin.rules_in_force(conn)
            weights_version, weights_at, _weights = weights_in_force(conn)
            weights_log = conn.execute(select(street_weights.c.version, street_weights.c.published_at,
                                              street_weights.c.published_by)
                                       .order_by(street_weights.c.version.desc()).limit(20)).all()
            recent = conn.execute(select(announcement.c.kind, announcement.c.title, announcement.c.published_at)
                                  .where(announcement.c.kind.in_(("announcement", "rules"))).order_by(announcement.c.seq.desc()).limit(20)).all()
        return render("publish.html", title=PUBLISHING, user=user, status=status, errors=errors or {}, values=values or {}, notice=notice,
                      version=version, version_at=at, recent=recent, csrf=csrf_token(request),
                      weights_version=weights_version, weights_at=weights_at, weights_log=weights_log)

    @api.get("/district/publish", include_in_schema=False)
    def publish_page(request: Request, done: str = Query("", max_length=20)):
        user = signed_in(request)
        if user.street:
            return district_only(user, PUBLISHING)
        notice = {"announcement": "已发布通知，各站下次同步时收到，显示在工作台上直到点“已读”。",
                  "rules": "已发布新的“五有”考核规则，各站下次同步时生效。",
                  "weights": "已发布新的街道评估计分办法，本月起的评估按新办法计分；已过去的期间仍按当时的办法计分。",
                  }.get(done, "")
        return render_publish(request, user, notice=notice)

    @api.post("/district/publish/announcement", include_in_schema=False)
    def publish_announcement(request: Request, csrf: str = Form("", max_length=100), title: str = Form("", max_length=1000),
                             body: str = Form("", max_length=20_000)):
        """The same as station district announce."""
        user = signed_in(request)
        if user.street:
            return district_only(user, PUBLISHING)
        values = {"title": title, "body": body}
        if not same_secret(csrf, csrf_token(request)):
            return render_publish(request, user, errors={"form": "页面已过期，请刷新后重新提交"}, values=values, status=403)
        try:
            admin.announce(engine, title, body)
        except ValidationError as exc:
            return render_publish(request, user, errors=exc.errors, values=values, status=422)
        return RedirectResponse("/district/publish?done=announcement", status_code=303)

    @api.post("/district/publish/rules", include_in_schema=False)
    def publish_rules_form(request: Request, csrf: str = Form("", max_length=100), rules: UploadFile | None = File(None)):
        """The same as station district publish-rules: refused, with the reason, when the file is broken (its line),
        has no version, or is not newer than the rules in force."""
        from app.rules import RulesError

        user = signed_in(request)
        if user.street:
            return district_only(user, PUBLISHING)
        taken = take_upload(request, csrf, rules, "规则文件：请选择 .toml 规则文件", 1024 * 1024, "规则文件")
        if isinstance(taken, tuple):
            return render_publish(request, user, errors={"rules": taken[0]}, status=taken[1])
        rules = taken
        try:
            text = rules.file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return render_publish(request, user, errors={"rules": "规则文件应为 UTF-8 编码的文本（用记事本“另存为”时选 UTF-8）"}, status=422)
        try:
            admin.publish_rules(engine, text)
        except RulesError as exc:
            return render_publish(request, user, errors={"rules": f"“{rules.filename}”未发布：{exc}"}, status=422)
        return RedirectResponse("/district/publish?done=rules", status_code=303)

    return render_publish  # street_web publishes the street evaluation's weights on the same page
