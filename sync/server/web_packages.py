"""The district's pages for USB sync packages: 导入同步包 from the browser and the replies to carry back."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, File, Form, Path as PathParam, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from . import admin
from .db import account, package_import

from .web import Staff, render


def install(api: FastAPI, staff: Staff) -> None:
    engine, csrf_token, signed_in = staff.engine, staff.csrf_token, staff.signed_in
    take_upload = staff.take_upload

    # -- USB sync packages ------------------------------------------------------------------
    @api.get("/district/packages", include_in_schema=False)
    def packages_page(request: Request, done: int = Query(0, ge=0, le=2**31 - 1)):
        user = signed_in(request)
        return render_packages(request, user, done=done)

    @api.post("/district/packages", include_in_schema=False)
    def upload_package(request: Request, csrf: str = Form("", max_length=100), package: UploadFile | None = File(None)):
        """导入同步包 from the browser: the same checks and per-row path as the command line; the reply to
        carry back is kept and offered for download."""
        from ..package import MAX_PACKAGE_BYTES, PackageError
        from .packages import import_package

        user = signed_in(request)
        taken = take_upload(request, csrf, package, "同步包：请选择实践站导出的同步包文件（.slpkg）", MAX_PACKAGE_BYTES, "同步包")
        if isinstance(taken, tuple):
            return render_packages(request, user, error=taken[0], status=taken[1])
        package = taken
        try:
            result = import_package(engine, api.state.photos, package.file, by=user.display_name, street=user.street)
        except PackageError as exc:
            return render_packages(request, user, error=f"同步包“{package.filename}”未导入：{exc}", status=422)
        return RedirectResponse(f"/district/packages?done={result.import_id}", status_code=303)

    @api.get("/district/packages/{import_id}/reply", include_in_schema=False)
    def package_reply(request: Request, import_id: int = PathParam(ge=1, le=2**31 - 1)):
        user = signed_in(request)
        with engine.connect() as conn:
            row = conn.execute(select(package_import.c.reply, package_import.c.reply_name)
                               .join(account, account.c.id == package_import.c.account_id)
                               .where(package_import.c.id == import_id, admin.in_street(user.street))).first()
        if row is None:
            return render("message.html", title="找不到回执", message="找不到这份回执。", error=False, back="/district/packages",
                          back_label="返回", status=404)
        return Response(row.reply, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename=\"reply.slreply\"; filename*=UTF-8''{quote(row.reply_name)}"})

    def render_packages(request: Request, user, *, done: int = 0, error: str = "", status: int = 200):
        with engine.connect() as conn:
            recent = conn.execute(select(package_import, account.c.name).join(account, account.c.id == package_import.c.account_id)
                                  .where(admin.in_street(user.street)).order_by(package_import.c.id.desc()).limit(50)).all()
        return render("packages.html", title="U盘同步包", user=user, status=status, recent=recent, error=error,
                      done=next((r for r in recent if r.id == done), None), csrf=csrf_token(request))
