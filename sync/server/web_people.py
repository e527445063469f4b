"""The district's pages of one person across ledgers (#30): who is registered in more than one, a search by ID
number, each person's ledgers and hours."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, Form, Path as PathParam, Query, Request
from fastapi.responses import RedirectResponse

from app.models.enums import ID_TYPES, RESIDENT_ID

from . import people
from .admin import same_secret

from .web import PEOPLE_PAGE, Staff, StaffUser, render, xlsx_response


def install(api: FastAPI, staff: Staff) -> None:
    engine, csrf_token, signed_in = staff.engine, staff.csrf_token, staff.signed_in
    out_of_scope = staff.out_of_scope

    # -- one person across ledgers (#30) -----------------------------------------------------------------------------
    def render_people(request: Request, user: StaffUser, *, p: int = 1, error: str = "", status: int = 200):
        with engine.connect() as conn:
            total, found = people.shared_page(conn, user.street, page=p, size=PEOPLE_PAGE)
        pages = max(1, -(-total // PEOPLE_PAGE))
        listed = list(enumerate(found, start=(min(p, pages) - 1) * PEOPLE_PAGE + 1))
        return render("people.html", title="跨站点登记的志愿者", user=user, status=status, error=error, total=total,
                      p=p, pages=pages, listed=listed, csrf=csrf_token(request),
                      searchable=people.key_of(engine) is not None, id_types=ID_TYPES)

    @api.get("/district/people", include_in_schema=False)
    def people_page(request: Request, p: int = Query(1, ge=1, le=100_000)):
        """Everyone registered in more than one ledger with one in the account's scope, a page at a time, and a search
        by ID number."""
        user = signed_in(request)
        return render_people(request, user, p=p)

    @api.post("/district/people/search", include_in_schema=False)
    def people_search(request: Request, csrf: str = Form("", max_length=100), id_type: str = Form("", max_length=20),
                      id_number: str = Form("", max_length=40)):
        """By ID number: what was typed is hashed with the district's key and looked up, never compared in clear and
        never put in an address (a POST: the number is not in the access log either)."""
        user = signed_in(request)
        if not same_secret(csrf, csrf_token(request)):
            return render_people(request, user, error="页面已过期，请刷新后重新查询", status=403)
        if not id_number.strip():
            return render_people(request, user, error="请填写要查询的证件号码", status=422)
        with engine.connect() as conn:
            key = people.find(conn, id_type if id_type in ID_TYPES else RESIDENT_ID, id_number, user.street)
        if key is None:
            where = f"{user.street}的实践所（站）" if user.street else "各台账"
            return render_people(request, user, error=f"{where}中没有登记这个证件号码的志愿者", status=404)
        return RedirectResponse(f"/district/person/{key}", status_code=303)

    @api.get("/district/person/{key}", include_in_schema=False)
    def person_page(request: Request, key: str = PathParam(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")):
        """One person in every ledger of the account's scope: each ledger's record (masked) and hours, and one total."""
        user = signed_in(request)
        with engine.connect() as conn:
            found = people.person(conn, key, user.street)
        if found is None:  # or registered only in another street's ledgers: the same answer
            return out_of_scope(user, "找不到这名志愿者", back="/district/people")
        return render("person.html", title=f"志愿者 {found.masked_name}", user=user, person=found)

    @api.get("/district/people.xlsx", include_in_schema=False)
    def people_xlsx(request: Request):
        user = signed_in(request)
        with engine.connect() as conn:
            rows = people.sheet_rows(people.shared(conn, user.street))
        where = user.street or ""
        today = date.today()
        return xlsx_response(f"{where}跨站点登记的志愿者（截至{today.year}年{today.month}月{today.day}日）", people.SHEET_HEADERS, rows,
                             f"{where}跨站点登记的志愿者-{today:%Y%m%d}.xlsx")
