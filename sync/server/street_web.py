"""The district's 街道 evaluation pages (#30, 六.4–六.5): the ranking per month, half-year and year with each part of
every street's score, each figure opening down to the street's 所 and stations (and the station page behind each);
entering 观摩打分, 媒体报道 and 特色项目 (district accounts only); its Excel and PDF; the year's result for 以奖代补;
publishing new weights. A 街道 account sees its own street's line only and enters nothing."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from app.services.errors import ValidationError

from . import streets as scoring
from .admin import same_secret
from .streets import PARTS, Span
from .web import Staff

PERIODS = {"month": "月度评估", "half": "半年观摩", "year": "全年评估"}  # 六.4's three
PERIOD = Query("month", pattern="^(month|half|year)$", description="评估期间")
HALF = Query(0, ge=0, le=2, description="半年（1 上半年，2 下半年）")
SCORING = "街道评估打分"


def install(api: FastAPI, staff: Staff, *, render_publish) -> None:
    from .web import MONTH, PARAM_LABELS, TEMPLATES, YEAR, render, xlsx_response, years_back

    engine, csrf_token = staff.engine, staff.csrf_token
    district_only, out_of_scope = staff.district_only, staff.out_of_scope
    signed_in = staff.signed_in

    TEMPLATES.filters["half_up"] = scoring.half_up  # figures rounded as by hand (0.25 → 0.3), never half-to-even

    PARAM_LABELS.update({"period": "评估期间", "half": "半年", "fund": "以奖代补资金总额"})

    def picker(span: Span) -> dict:
        return scoring.picker_defaults(span, date.today())

    def span_of(period: str, year: int, month: int, half: int) -> Span:
        return Span.of(period, year, month, half, today=date.today())

    def ranking_for(span: Span):
        with engine.connect() as conn:
            return scoring.rank_streets(conn, span, today=date.today())

    def visible(ranking, user) -> list:
        """A 街道 account's own street only; the district's accounts every street."""
        return [s for s in ranking.streets if not user.street or s.street == user.street]

    def link_month(ranking) -> tuple[int, int]:
        """The month a station page opens on for this period: the month its 五有 stand for, or the period's last."""
        return ranking.judged_month or (ranking.span.year, ranking.span.last_month)

    @api.get("/district/streets", include_in_schema=False)
    def streets_page(request: Request, period: str = PERIOD, year: int = YEAR, month: int = MONTH, half: int = HALF):
        user = signed_in(request)
        ranking = ranking_for(span_of(period, year, month, half))
        return render("streets.html", title="街道评估", user=user, r=ranking, rows=visible(ranking, user), parts=PARTS,
                      periods=PERIODS, years=years_back(), metrics=scoring.METRICS, figure_text=scoring.figure_text,
                      whole_district=not user.street, count=len(ranking.streets), q=quote, picked=picker(ranking.span),
                      fund_error="", fund="")

    def sheet_rows(ranking, rows) -> tuple[list[str], list[list]]:
        figures = [i for i in ranking.weights.items if i.source == scoring.FIGURE]
        headers = (["名次", "街道（功能区）", "所站数"] + [f"{p}得分" for p in PARTS] + ["总分"]
                   + [f"{scoring.METRICS[i.metric][0]}（{i.section}）" for i in figures]
                   + [f"{i.part}·{i.title}（{i.section}）得分" for i in ranking.weights.items])
        out = [[s.rank, s.street, len(s.units)] + [s.parts[p] for p in PARTS] + [s.total]
               + [scoring.figure_text(i.metric, s.figures[i.metric], s) for i in figures]
               + [s.points[i.id] for i in ranking.weights.items] for s in rows]
        return headers, out

    @api.get("/district/streets.xlsx", include_in_schema=False)
    def streets_xlsx(request: Request, period: str = PERIOD, year: int = YEAR, month: int = MONTH, half: int = HALF):
        user = signed_in(request)
        ranking = ranking_for(span_of(period, year, month, half))
        headers, rows = sheet_rows(ranking, visible(ranking, user))
        where = user.street or "各街道（功能区）"
        title = f"{ranking.span.label}{where}新时代文明实践工作评估（计分办法第 {ranking.weights.version} 版）"
        return xlsx_response(title, headers, rows, f"{ranking.span.label}{user.street or '街道'}评估.xlsx",
                             sheet=f"{ranking.span.label}街道评估")

    @api.get("/district/streets.pdf", include_in_schema=False)
    def streets_pdf(request: Request, period: str = PERIOD, year: int = YEAR, month: int = MONTH, half: int = HALF):
        from .street_report import ranking_pdf

        user = signed_in(request)
        ranking = ranking_for(span_of(period, year, month, half))
        with tempfile.TemporaryDirectory() as tmp:
            data = ranking_pdf(ranking, visible(ranking, user), Path(tmp) / "streets.pdf", by=user.display_name,
                               scope=user.street).read_bytes()
        name = quote(f"{ranking.span.label}{user.street or '街道'}评估.pdf")
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition":
                                 f"attachment; filename=\"streets.pdf\"; filename*=UTF-8''{name}"})

    @api.get("/district/streets/award.xlsx", include_in_schema=False)
    def award_xlsx(request: Request, year: int = YEAR, fund: str = Query("", max_length=40, description="以奖代补资金总额")):
        """六.5 以奖代补: the year's result, each street's share of the points and, with ``fund`` (元), its part of the
        fund in proportion to its total (a street with a total of 0 or less receives nothing)."""
        user = signed_in(request)
        if user.street:
            return district_only(user, "以奖代补资金测算")
        ranking = ranking_for(span_of("year", year, 0, 0))
        typed = fund.strip().replace(",", "").replace("，", "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if typed and (not typed.isdigit() or int(typed) > 10**12):
            return render("streets.html", title="街道评估", user=user, r=ranking, rows=visible(ranking, user),
                          parts=PARTS, periods=PERIODS, years=years_back(), metrics=scoring.METRICS,
                          figure_text=scoring.figure_text, whole_district=True, count=len(ranking.streets), q=quote,
                          picked=picker(ranking.span), fund=fund,
                          fund_error=f"以奖代补资金总额：请填写整数金额（元），如 100000，现为“{fund[:20]}”；不填则只导出得分和占比",
                          status=422)
        amount = int(typed) if typed else 0
        paid = [max(0.0, s.total) for s in ranking.streets]
        whole = sum(paid)
        headers = ["名次", "街道（功能区）"] + [f"{p}得分" for p in PARTS] + ["全年总分", "得分占比"]
        rows = []
        for s, share in zip(ranking.streets, paid, strict=True):
            row = ([s.rank, s.street] + [s.parts[p] for p in PARTS]
                   + [s.total, f"{scoring.half_up(share * 100 / whole):.2f}%" if whole else "—"])
            if amount:
                row.append(scoring.half_up(amount * share / whole) if whole else 0)
            rows.append(row)
        if amount:
            headers.append("以奖代补资金（元）")
        title = (f"{ranking.span.label}街道（功能区）新时代文明实践工作全年评估结果（以奖代补，计分办法第 {ranking.weights.version} 版"
                 + (f"，资金总额 {amount} 元）" if amount else "）"))
        return xlsx_response(title, headers, rows, f"{ranking.span.label}以奖代补测算.xlsx",
                             sheet=f"{ranking.span.label}以奖代补测算")

    def render_street(request: Request, user, street: str, span: Span, *, errors: dict | None = None,
                      values: dict | None = None, notice: str = "", status: int = 200):
        ranking = ranking_for(span)
        result = ranking.of(street)
        y, m = link_month(ranking)
        today = date.today()
        entry_month = (span.year, span.last_month) if span.end < today else (today.year, today.month)
        errors = errors or {}
        order = ["month", "street"] + [f"{k}_{i.id}" for i in ranking.weights.entered for k in ("score", "note")]
        first_bad = next((k for k in order if k in errors), "")
        return render("street.html", title=f"{street}评估", user=user, r=ranking, s=result, parts=PARTS, periods=PERIODS,
                      years=years_back(), metrics=scoring.METRICS, figure_text=scoring.figure_text, y=y, m=m,
                      entry=values or {"year": entry_month[0], "month": entry_month[1]}, errors=errors,
                      first_bad=first_bad, failed=list(errors.values()), picked=picker(ranking.span),
                      notice=notice,
                      status=status, csrf=csrf_token(request), can_score=not user.street, q=quote,
                      item_names={i.id: f"{i.part}·{i.title}" for i in ranking.weights.items})

    @api.get("/district/street", include_in_schema=False)
    def street_page(request: Request, street: str = Query("", max_length=100), period: str = PERIOD, year: int = YEAR,
                    month: int = MONTH, half: int = HALF, done: int = Query(0, ge=0, le=1000)):
        user = signed_in(request)
        span = span_of(period, year, month, half)
        if user.street and street != user.street:
            return out_of_scope(user, "找不到该街道", back="/district/streets")
        with engine.connect() as conn:
            known = street in scoring.admin.streets(conn)
        if not known:
            return out_of_scope(user, "找不到该街道", back="/district/streets")
        return render_street(request, user, street, span, notice=f"已记录 {done} 项打分。" if done else "")

    @api.post("/district/street/scores", include_in_schema=False)
    async def enter_scores_form(request: Request):
        """Scores for one street and month, all or nothing; the district's accounts only. The form's fields are named by
        the weights in force (score_<item>, note_<item>), so it is read here and handled off the event loop."""
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        fields = {k: str(v)[:1000] for k, v in form.items() if isinstance(v, str)}
        return await run_in_threadpool(take_scores, request, fields)

    def take_scores(request: Request, fields: dict[str, str]):
        user = signed_in(request)
        if user.street:
            return district_only(user, SCORING)
        street = fields.get("street", "")[:100]
        year, month = _int(fields.get("year")), _int(fields.get("month"))
        kind = str(fields.get("period")) if fields.get("period") in PERIODS else "month"
        back = Span.of(kind, _int(fields.get("back_year")), _int(fields.get("back_month")) % 13,
                       _int(fields.get("back_half")) % 3, today=date.today())
        with engine.connect() as conn:
            if street not in scoring.admin.streets(conn):
                return out_of_scope(user, "找不到该街道", back="/district/streets")
        scores = {k[6:]: v for k, v in fields.items() if k.startswith("score_")}
        notes = {k[5:]: v for k, v in fields.items() if k.startswith("note_")}
        values = {**fields, "year": year, "month": month}
        if not same_secret(fields.get("csrf", ""), csrf_token(request)):
            return render_street(request, user, street, back, errors={"form": "页面已过期，请刷新后重新提交"},
                                 values=values, status=403)
        try:
            count = scoring.enter_scores(engine, street=street, year=year, month=month, scores=scores, notes=notes,
                                         by=f"{user.display_name}（{user.username}）", today=date.today())
        except ValidationError as exc:
            return render_street(request, user, street, back, errors=exc.errors, values=values, status=422)
        return RedirectResponse(f"/district/street?street={quote(street)}&{back.query}&done={count}#scores",
                                status_code=303)

    @api.get("/district/publish/weights.toml", include_in_schema=False)
    def weights_file(request: Request):
        """The weights in force as a file, to edit and publish as the next version (district accounts only)."""
        user = signed_in(request)
        if user.street:
            return district_only(user, "下载街道评估计分办法")
        with engine.connect() as conn:
            version, _at, text = scoring.weights_in_force(conn)
        name = quote(f"街道评估计分办法第{version}版.toml")
        return Response(text.encode("utf-8"), media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition":
                                 f"attachment; filename=\"street.toml\"; filename*=UTF-8''{name}"})

    @api.post("/district/publish/weights", include_in_schema=False)
    def publish_weights_form(request: Request, csrf: str = Form("", max_length=100),
                             weights: UploadFile | None = File(None)):
        """The same as station district publish-weights: refused, with the reason, when the file is broken (its line) or
        not newer than the weights in force."""
        user = signed_in(request)
        if user.street:
            return district_only(user, "发布街道评估计分办法")
        publish = render_publish
        if not same_secret(csrf, csrf_token(request)):
            return publish(request, user, errors={"weights": "页面已过期，请刷新后重新提交"}, status=403)
        if weights is None or not weights.filename:
            return publish(request, user, errors={"weights": "计分办法文件：请选择 .toml 文件"}, status=422)
        raw = weights.file.read(1024 * 1024 + 1)
        if len(raw) > 1024 * 1024:
            return publish(request, user, errors={"weights": "计分办法文件过大（上限 1 MB）"}, status=413)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return publish(request, user, errors={"weights": "计分办法文件应为 UTF-8 编码的文本（用记事本“另存为”时选 UTF-8）"},
                           status=422)
        try:
            scoring.publish_weights(engine, text, by=f"{user.display_name}（{user.username}）")
        except scoring.WeightsError as exc:
            return publish(request, user, errors={"weights": f"“{weights.filename}”未发布：{exc}"}, status=422)
        return RedirectResponse("/district/publish?done=weights", status_code=303)


def _int(text) -> int:
    try:
        return max(0, min(int(str(text or "0")), 2100))
    except ValueError:
        return 0

