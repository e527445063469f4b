"""Text is kept as typed (#26): Chinese punctuation and full-width forms stay in free text and print as typed;
control characters and characters no bundled font can print are refused at entry, naming the field;
numbers, dates and phones from any keyboard are still understood."""

from __future__ import annotations

from datetime import date

import pytest

from app import fonts
from app.services import activities, teams, volunteers
from app.services.errors import ValidationError
from conftest import make_id

DAY = date(2026, 3, 8)


def test_chinese_punctuation_in_free_text_is_kept_and_printed_as_typed(ctx, tmp_path):
    from pypdf import PdfReader

    from app import reports

    title = "敬老（重阳）：饺子宴，“暖心”行动！"
    team = teams.add_team(ctx, name="巾帼（女子）服务队", category="敬老爱老")
    activity = activities.add_activity(ctx, title=title, category="敬老爱老", date=DAY, place="村委会Ａ区", team_id=team.id,
                                       served_count="１２")  # a number typed full-width is still a number
    stored = activities.get_activity(ctx, activity.id)
    assert (stored.title, stored.place, stored.served_count) == (title, "村委会Ａ区", 12)
    assert teams.get_team(ctx, team.id).name == "巾帼（女子）服务队"
    assert [s.activity.title for s in activities.list_activities(ctx, text="（重阳）")] == [title]  # searched as typed
    path = reports.ledger_pdf(ctx, tmp_path / "台账.pdf", date_from=DAY, date_to=DAY)
    text = "".join(page.extract_text() for page in PdfReader(path).pages).replace("\n", "")
    assert "敬老（重阳）：饺子宴" in text and "巾帼（女子）服务队" in text


def test_numbers_phones_and_codes_from_any_keyboard_are_still_understood(ctx):
    volunteer = volunteers.add_volunteer(ctx, registered_on="２０２４-０１-０２", name="张三", id_number=make_id(seq=31),
                                         phone="１３８ １２３４ ５６７８")
    assert volunteer.registered_on == date(2024, 1, 2) and volunteer.phone == "13812345678"
    assert volunteers.find_by_number(ctx, volunteer.number.replace("ZY", "ＺＹ")).id == volunteer.id
    assert [v.id for v in volunteers.search_volunteers(ctx, "５６７８")] == [volunteer.id]


@pytest.mark.parametrize("bad, shown", [("\x0b", "\\x0b"), ("\x07", "\\x07"), ("\x1b", "\\x1b")])
def test_a_control_character_is_refused_naming_the_field(ctx, bad, shown):
    with pytest.raises(ValidationError) as info:
        activities.add_activity(ctx, title=f"清扫{bad}河道", category="卫生环保", date=DAY)
    assert set(info.value.errors) == {"title"}
    assert info.value.errors["title"] == f"活动名称含有不可见的控制字符（{shown}，常见于从 Word 复制的文字），请删除后再保存"
    assert activities.list_activities(ctx) == []


def test_line_breaks_are_kept_where_a_field_takes_several_lines_and_refused_in_a_name(ctx):
    activity = activities.add_activity(ctx, title="清扫河道", category="卫生环保", date=DAY, content="第一段\n\t第二段")
    assert activities.get_activity(ctx, activity.id).content == "第一段\n\t第二段"
    with pytest.raises(ValidationError, match="姓名含有不可见的控制字符（换行"):
        volunteers.add_volunteer(ctx, registered_on="2024-01-02", name="张\n三", id_number=make_id(seq=32))


@pytest.mark.parametrize("odd", ["😀", "🏠", "\U0001F9E7"])
def test_a_character_no_font_can_print_is_refused_naming_the_field(ctx, odd):
    with pytest.raises(ValidationError) as info:
        volunteers.add_volunteer(ctx, registered_on="2024-01-02", name=f"王{odd}", id_number=make_id(seq=33))
    assert info.value.errors == {"name": f"姓名中的“{odd}”无法打印（如表情符号），请删除或改用文字"}


def test_what_a_form_accepts_the_fonts_can_print():
    """The fast path (no font loaded) only ever answers for characters the fonts have; rare characters the
    main font lacks (㑇, CJK Ext-A) are printed by the fallback font and accepted; symbols both fonts have
    (★ ①) are accepted too."""
    covered = fonts.coverage()
    for low, high in fonts._SURELY:
        missing = [hex(c) for c in range(low, high + 1) if c not in covered]
        assert missing == [], f"{hex(low)}–{hex(high)} claimed printable without the fonts: {missing[:5]}"
    assert fonts.unprintable("㑇★①（）：“”、。") is None
    assert fonts.unprintable("abc😀") == "😀"


def test_every_excel_export_writes_text_as_data_and_survives_an_old_control_character(ctx, tmp_path):
    """A team named like a formula stays text in every export (station list, national file); a \\x0b stored
    by an older release (entry refuses it now) no longer fails the export."""
    from openpyxl import load_workbook

    from app.exchange import excel, national

    team = teams.add_team(ctx, name="=HYPERLINK(\"http://x\",\"点我\")", category="敬老爱老")
    volunteer = volunteers.add_volunteer(ctx, registered_on="2024-01-02", name="张三", id_number=make_id(seq=34), skills="@所有人 +1 -2")
    activity = activities.add_activity(ctx, title="清扫河道", category="卫生环保", date=DAY, team_id=team.id, start_time="09:00",
                                       end_time="11:00", participants=[activities.ParticipantInput(volunteer.id, 2.0)])
    with ctx.store.engine.begin() as conn:  # as an older release stored it
        conn.exec_driver_sql("UPDATE activity SET title = ? WHERE id = ?", ("清扫\x0b河道", activity.id))
    excel.export_activities(ctx, tmp_path / "活动.xlsx")
    excel.export_volunteers(ctx, tmp_path / "志愿者.xlsx", full=True)
    national.export_national(ctx, tmp_path / "全国.xlsx", year=2026)
    cells = [c for name in ("活动.xlsx", "志愿者.xlsx", "全国.xlsx") for row in load_workbook(tmp_path / name).active.iter_rows() for c in row]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "清扫 河道" in texts, sorted(texts)
    assert "@所有人 +1 -2" in texts, sorted(texts)
    assert any(v.startswith("=HYPERLINK") for v in texts)
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@")
