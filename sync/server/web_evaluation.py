"""六.4 月度评估 on the district's pages: every synced unit judged by the evaluator the stations run, ranked, by
street, and as a spreadsheet."""

from __future__ import annotations

import time
from urllib.parse import quote

from fastapi import FastAPI, Query, Request

from app.models.enums import station_level
from app.rules import STATUS_LABELS

from .admin import current_rules
from .web import MONTH, PAGE_SIZE, YEAR, Staff, period, render, streets_of, xlsx_response, years_back


# The 五有 page's first view of a month judges afresh for at most this long and shows what is ready; the rest are
# judged in the background and shown as the page refreshes itself (3,000 stations from nothing: 30–40 s, #29).
FIRST_VIEW_S = 1.5


def install(api: FastAPI, staff: Staff) -> None:
    engine, signed_in, street_shown = staff.engine, staff.signed_in, staff.street_shown

    def evaluation(conn, year: int, month: int, *, street: str = "", full: bool = False,
                   wait_s: float | None = None) -> tuple[list[dict], list]:
        """六.4 月度评估: every synced station (of ``street``, or all) through the same evaluator the stations run,
        ranked, and the stations not yet judged; a station's verdicts are kept until it syncs again or the rules
        change (evaluations.py). ``full``: with every verdict. ``wait_s``: judge afresh for that long at most, the
        rest in the background (the page's first view of a month, #29); None: every station, however long."""
        from .evaluations import judge_later, verdicts_for_all

        rules = current_rules(conn)  # the rules the district last published: the ones the stations see
        deadline = None if wait_s is None else time.perf_counter() + wait_s
        ranked, pending = [], []
        for acct, summary, verdicts in verdicts_for_all(conn, year, month, rules, full=full, street=street, deadline=deadline):
            if summary is None:
                pending.append(acct)
            else:
                ranked.append({"account": acct, "verdicts": verdicts, **summary})
        if pending:
            judge_later(engine, year, month)
        ranked.sort(key=lambda r: (r["missed"], r["at_risk"], -r["met"], r["account"].name))
        return ranked, pending

    @api.get("/district/evaluation", include_in_schema=False)
    def evaluation_page(request: Request, year: int = YEAR, month: int = MONTH, street: str = Query("", max_length=100),
                        p: int = Query(1, ge=1, le=100_000)):
        user = signed_in(request)
        street = street_shown(user, street)
        year, month = period(year, month)
        with engine.connect() as conn:
            # a 街道 account: its street's ranking only; what is not judged within FIRST_VIEW_S, judged meanwhile
            everyone, waiting = evaluation(conn, year, month, street=user.street, wait_s=FIRST_VIEW_S)
            streets_known = streets_of(conn, user)
        ranked = [r for r in everyone if not street or r["account"].street == street]
        pending = [a for a in waiting if not street or a.street == street]
        pages = max(1, -(-len(ranked) // PAGE_SIZE))
        first = (min(p, pages) - 1) * PAGE_SIZE
        streets: dict[str, list] = {}
        for r in everyone:
            streets.setdefault(r["account"].street or "（未填街道）", []).append(r)
        by_street = sorted(({"name": name, "stations": len(items), "average": sum(i["met"] for i in items) / len(items),
                             "missed": sum(i["missed"] for i in items)} for name, items in streets.items()), key=lambda s: -s["average"])
        return render("evaluation.html", title="月度评估", user=user, year=year, month=month, street=street, years=years_back(),
                      streets=streets_known, total=len(ranked), p=p, pages=pages,
                      here=f"/district/evaluation?year={year}&month={month}&street={quote(street)}",
                      ranked=list(enumerate(ranked[first:first + PAGE_SIZE], start=first + 1)), by_street=by_street,
                      pending=pending)

    @api.get("/district/evaluation.xlsx", include_in_schema=False)
    def evaluation_xlsx(request: Request, year: int = YEAR, month: int = MONTH):
        user = signed_in(request)
        year, month = period(year, month)
        with engine.connect() as conn:
            ranked, _none = evaluation(conn, year, month, street=user.street, full=True)  # a download: every station
            rules = current_rules(conn)
        # the rule's own title, naming every tier's quota: a row may be a 所's or a 站's (each reads its own on its page)
        headers = ["名次", "名称", "级别", "所属街道", "达标项", "有风险", "未达标"] + [f"{r.title}（{r.section}）" for r in rules]
        rows = [[n, r["account"].name, station_level(r["account"].level).unit, r["account"].street, f"{r['met']}/{r['counted']}", r["at_risk"], r["missed"]]
                + [f"{STATUS_LABELS[v.status]} {v.progress}" for v in r["verdicts"]] for n, r in enumerate(ranked, start=1)]
        where = user.street or ""
        return xlsx_response(f"{year}年{month}月 {where}新时代文明实践站“五有”月度评估", headers, rows, f"{year}年{month}月{where}五有评估.xlsx")
