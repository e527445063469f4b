"""#13 printing within memory: long tables are laid out a page at a time, records are made as the layout
reaches them, and finished pages are kept compressed — with the same PDF a person reads."""

from __future__ import annotations

from datetime import date

import pypdf
from reportlab.pdfgen import canvas

from app import reports
from app.reports import common
from app.services import activities, teams


def _text(path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def test_a_long_table_prints_the_same_pages_streamed_as_whole(tmp_path):
    headers = ["序号", "日期", "活动名称", "服务队"]
    # rows of different heights: some titles wrap over three lines
    rows = [(n, f"2025年{n % 12 + 1}月{n % 28 + 1}日", f"第{n}次活动" + ("敬老爱老志愿服务" * (n % 7)), "孝老爱亲服务队")
            for n in range(1, 451)]
    widths = [10, 25, 60, 30]
    streamed = common.data_table(headers, rows, widths)
    assert isinstance(streamed, common.StreamedTable)
    whole = common._ruled_table(headers, rows, widths, None)
    a = common.build(tmp_path / "streamed.pdf", [streamed], title="测试", station_name="测试站")
    b = common.build(tmp_path / "whole.pdf", [whole], title="测试", station_name="测试站")
    pages_a, pages_b = _text(a), _text(b)
    assert len(pages_a) == len(pages_b) > 5
    assert pages_a == pages_b
    joined = "".join(pages_a)
    assert all(f"第{n}次活动" in joined for n in (1, 100, 101, 250, 450))
    assert all(page.count("活动名称") == 1 for page in pages_a)  # the header repeats on every page, once
    assert common.data_table(headers, rows[:10], widths).__class__ is not common.StreamedTable


def test_the_ledger_makes_each_record_when_the_layout_reaches_it(ctx, tmp_path, monkeypatch):
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    for i in range(12):
        activities.add_activity(ctx, title=f"第{i}次活动", date=date(2025, 3, 1 + i), category="敬老爱老", team_id=team.id)
    pages = {"n": 0}
    real_show = canvas.Canvas.showPage

    def counting_show(self):
        pages["n"] += 1
        real_show(self)

    monkeypatch.setattr(canvas.Canvas, "showPage", counting_show)
    drawn_when_made: list[int] = []

    def progress(done, total, text):
        if done < total:
            drawn_when_made.append(pages["n"])

    out = reports.ledger_pdf(ctx, tmp_path / "台账.pdf", date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), progress=progress)
    assert len(drawn_when_made) == 12
    # record n is made after the pages before it are finished (cover, list, and one page per earlier record)
    assert drawn_when_made[-1] >= 2 + 10 and drawn_when_made == sorted(drawn_when_made)
    text = _text(out)
    assert sum("活动记录表（" in page for page in text) == 12


def test_finished_pages_are_kept_compressed_and_read_back(tmp_path):
    rows = [(n, "敬老爱老志愿服务活动" * 3) for n in range(300)]
    seen = []
    real_pack = None

    class Probe(common.make_numbered_canvas("站", "表")):
        def _pack_last_page(self):
            real_pack(self)
            page = self._doc.Pages.pages[-1]
            seen.append((page.stream, type(page.Contents).__name__, len(page.Contents.content)))

    real_pack = common.make_numbered_canvas("站", "表")._pack_last_page
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    doc = SimpleDocTemplate(str(tmp_path / "t.pdf"), pagesize=A4)
    doc.build([common.data_table(["序号", "名称"], rows, [20, 100])], canvasmaker=Probe)
    assert seen and all(stream is None and kind == "PDFStream" and size > 0 for stream, kind, size in seen)
    text = _text(tmp_path / "t.pdf")
    assert len(text) == len(seen)
    assert "敬老爱老志愿服务活动" in text[0] and "299" in text[-1]
