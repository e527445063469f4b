"""#29 a long table prints at the speed of a bare reportlab one: each cell's text is laid out once (measured,
kept, and the same lines used to split the rows into pages and to draw them), with the same pages a person
reads — every row once and whole, the header on every page — and no more rows held than a page needs."""

from __future__ import annotations

import gc
import re
import weakref

import pypdf
import pytest
from reportlab.platypus import Paragraph, SimpleDocTemplate

from app.reports import common


def _pages(path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _long_text(n: int) -> str:
    # three to eight lines in its column, a different length on each row, with both ends its own
    return f"第{n}项" + "敬老爱老志愿服务活动" * (2 + n % 6) + f"止于{n}号"


def _rows(count: int) -> list[tuple]:
    return [(f"R{n:03d}", f"2025年{n % 12 + 1}月{n % 28 + 1}日", _long_text(n), "孝老爱亲服务队") for n in range(1, count + 1)]


HEADERS = ["序号", "日期", "活动内容", "服务队"]
WIDTHS = [14, 25, 40, 30]


@pytest.mark.parametrize("count", [250, 80])  # streamed a page at a time; one LongTable split by reportlab
def test_every_row_prints_once_and_whole_with_the_header_on_each_page(tmp_path, count):
    table = common.data_table(HEADERS, _rows(count), WIDTHS)
    assert isinstance(table, common.StreamedTable) == (count > common.STREAM_ROWS)
    pages = _pages(common.build(tmp_path / "t.pdf", [table], title="测试", station_name="测试站"))
    assert len(pages) > 3
    numbers = [int(m) for page in pages for m in re.findall(r"R(\d{3})", page)]
    assert numbers == list(range(1, count + 1))  # none lost, none doubled at a page's end, in order
    flat_pages = [_flat(page) for page in pages]
    for n in range(1, count + 1):
        # the wrapped cell whole, on the page of its row: no row is cut in two at a page's end
        on = [i for i, page in enumerate(flat_pages) if _long_text(n) in page]
        assert on == [i for i, page in enumerate(pages) if f"R{n:03d}" in page], n
    assert all(page.count("活动内容") == 1 and page.count("服务队") >= 1 for page in pages)
    assert all(re.search(r"R\d{3}", page) for page in pages)  # no page with the header alone


def test_a_table_after_text_starts_mid_page_and_runs_on(tmp_path):
    s = common.styles()
    story = [Paragraph(common.markup("说明" * 300), s["body"]), common.data_table(HEADERS, _rows(130), WIDTHS),
             Paragraph(common.markup("表后文字"), s["body"])]
    pages = _pages(common.build(tmp_path / "t.pdf", story, title="测试", station_name="测试站"))
    numbers = [int(m) for page in pages for m in re.findall(r"R(\d{3})", page)]
    assert numbers == list(range(1, 131))
    assert "说明" in pages[0] and "R001" in pages[0]  # the table begins below the text, on the same page
    assert "表后文字" in pages[-1] and "R130" in pages[-1]


@pytest.mark.parametrize("count", [250, 80])
def test_each_cell_is_made_and_laid_out_once(tmp_path, monkeypatch, count):
    """The guard against the regression #29 measured (each cell's lines broken about 19 times): every
    cell's text becomes a Paragraph once and its lines are broken once, however many times the table asks
    its size while measuring, splitting and drawing."""
    made: list[common.Cell] = []
    breaks: dict[int, int] = {}
    real_init, real_break = common.Cell.__init__, Paragraph.breakLinesCJK

    def counting_init(self, *args, **kwargs):
        made.append(self)  # kept alive, so no two cells share an id
        real_init(self, *args, **kwargs)

    def counting_break(self, *args, **kwargs):
        breaks[id(self)] = breaks.get(id(self), 0) + 1
        return real_break(self, *args, **kwargs)

    monkeypatch.setattr(common.Cell, "__init__", counting_init)
    monkeypatch.setattr(Paragraph, "breakLinesCJK", counting_break)
    pages = _pages(common.build(tmp_path / "t.pdf", [common.data_table(HEADERS, _rows(count), WIDTHS)],
                                title="测试", station_name="测试站"))
    assert len(pages) > 3
    assert len(made) == (count + 1) * len(HEADERS)  # the header once, every row once
    assert {breaks.get(id(c), 0) for c in made} == {1}


def test_a_long_table_holds_a_page_of_rows_not_the_whole_table(tmp_path, monkeypatch):
    """#13 stays: the cells alive while a page is finished are about a page's worth, not the table's."""
    alive: weakref.WeakSet = weakref.WeakSet()
    real_init = common.Cell.__init__

    def tracking_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        alive.add(self)

    most = []

    class Probe(common.make_numbered_canvas("测试站", "测试")):
        def showPage(self):
            gc.collect()
            most.append(len(alive))
            super().showPage()

    monkeypatch.setattr(common.Cell, "__init__", tracking_init)
    rows = [(f"R{n:03d}", "2025年1月1日", "敬老爱老", "孝老爱亲服务队") for n in range(1, 801)]  # about 40 rows a page
    SimpleDocTemplate(str(tmp_path / "t.pdf")).build([common.data_table(HEADERS, rows, WIDTHS)], canvasmaker=Probe)
    per_page = 800 / len(most)
    assert len(most) > 10
    assert max(most) <= 2 * (per_page + 1) * len(HEADERS)


def test_markup_escapes_and_switches_font_as_before():
    assert common.markup("a<b>&c\n第二行") == "a&lt;b&gt;&amp;c<br/>第二行"
    assert common.markup(None) == ""
    assert common.markup(12) == "12"
    assert common.markup("李㑇<") == f'李<font name="{common.FALLBACK}">㑇</font>&lt;'
