"""Excel import/export with a roster as villages really keep them."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from app.exchange import excel
from app.services import activities, teams, volunteers
from app.services.errors import PermissionDenied, ValidationError
from conftest import make_id
from test_cli import station


def messy_roster(path, rows):
    """Title row merged over the table, header on row 3, merged team cells, blank and totals rows."""
    book = Workbook()
    ws = book.active
    ws.append(["杨家庄村新时代文明实践站志愿者花名册"])
    ws.merge_cells("A1:G1")
    ws.append(["填报单位：杨家庄村", None, None, None, None, "填报日期：2026年11月"])
    ws.append(["序号", "姓 名", "身份证号码", "联系电话", "性别", "政治面貌", "所属队伍"])
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


GOOD_ID1, GOOD_ID2, GOOD_ID3 = make_id(seq=701), make_id(seq=702), make_id(seq=703)


@pytest.fixture
def roster(tmp_path, ctx):
    teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    full_width = GOOD_ID2.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    path = messy_roster(tmp_path / "花名册.xlsx", [
        [1, "张三", GOOD_ID1, 13812345678, "男", "中共党员", "敬老爱老服务队"],  # row 4 (phone typed as a number)
        [2, "李四", full_width, "１３９ ０００１ １１１１", "女", "群众", None],  # row 5: team merged from row 4
        [None, None, None, None, None, None, None],  # row 6 blank
        [3, "王五", "110105194912310021", "13700001111", "男", "群众", "敬老爱老服务队"],  # row 7 bad checksum
        [4, "赵六", GOOD_ID3, "12345", "男", "党员", "舞蹈队"],  # row 8: bad phone, status, team
        [5, "钱七", GOOD_ID1, "13600001111", "女", "群众", ""],  # row 9: same ID as row 4
        ["合计", "5人", None, None, None, None, None],  # row 10 totals
    ])
    book = load_workbook(path)
    book.active.merge_cells("G4:G5")
    book.save(path)
    return path


def test_read_sheet_finds_header_and_skips_noise(roster):
    sheet = excel.read_sheet(roster)
    assert sheet.header_row == 3
    assert [r for r, _ in sheet.rows] == [4, 5, 7, 8, 9]
    mapping = excel.guess_mapping(sheet)
    assert {f: sheet.headers[i] for f, i in mapping.items()} == {
        "name": "姓名", "id_number": "身份证号码", "phone": "联系电话", "gender": "性别", "political_status": "政治面貌", "team": "所属队伍",
    }


def test_plan_reports_per_row_chinese_errors(ctx, roster):
    sheet = excel.read_sheet(roster)
    plans = {p.row: p for p in excel.plan_volunteers(ctx, sheet, excel.guess_mapping(sheet))}
    assert plans[4].ok and plans[5].ok  # full-width digits and a merged team cell are fine
    assert plans[5].values["team_ids"] == plans[4].values["team_ids"] != []
    assert any("校验位" in e for e in plans[7].errors)
    errors8 = "；".join(plans[8].errors)
    assert "联系电话" in errors8 and "政治面貌" in errors8
    assert plans[8].warnings == ["将新建服务队“舞蹈队”"]  # a team not yet set up is created, not an error
    assert plans[9].errors == ["身份证号与本表第4行重复"]


def test_import_is_all_or_nothing(ctx, roster):
    sheet = excel.read_sheet(roster)
    with pytest.raises(ValidationError) as info:
        excel.import_volunteers(ctx, sheet, excel.guess_mapping(sheet))
    assert "第7行" in str(info.value) and "第8行" in str(info.value)
    assert volunteers.count_volunteers(ctx) == 0


def test_import_only_valid_rows(ctx, roster):
    sheet = excel.read_sheet(roster)
    result = excel.import_volunteers(ctx, sheet, excel.guess_mapping(sheet), only_valid=True)
    assert result.imported == 2 and [p.row for p in result.skipped] == [7, 8, 9]
    li = volunteers.search_volunteers(ctx, "ls")[0]
    assert li.phone == "13900011111" and li.id_number == GOOD_ID2
    assert volunteers.team_names_of(ctx, [li.id])[li.id] == ["敬老爱老服务队"]


def test_teams_named_in_a_roster_that_do_not_exist_yet_are_created_by_the_import(ctx, tmp_path):
    rows = [[i + 1, f"新{i}", make_id(seq=300 + i), "13812345678", "", "群众", "新文艺队" if i % 2 else "新文艺队、巾帼服务队"]
            for i in range(6)]
    rows[3][2] = "110105194912310021"  # bad checksum and bad phone: a row with three problems lists them all
    rows[3][3] = "12345"
    sheet = excel.read_sheet(messy_roster(tmp_path / "花名册.xlsx", rows))
    plans = excel.plan_volunteers(ctx, sheet, excel.guess_mapping(sheet))
    assert [p.ok for p in plans] == [True, True, True, False, True, True]
    assert plans[0].warnings == ["将新建服务队“新文艺队、巾帼服务队”"]
    assert "校验位" in "；".join(plans[3].errors) and "联系电话" in "；".join(plans[3].errors) and plans[3].warnings
    assert excel.new_teams(plans) == ["新文艺队", "巾帼服务队"]
    result = excel.import_volunteers(ctx, sheet, excel.guess_mapping(sheet), only_valid=True)
    assert result.imported == 5
    made = {s.team.name: s for s in teams.list_teams(ctx)}
    assert set(made) == {"新文艺队", "巾帼服务队"} and made["新文艺队"].team.category == excel.NEW_TEAM_CATEGORY
    first = volunteers.search_volunteers(ctx, "新0")[0]
    assert set(volunteers.team_names_of(ctx, [first.id])[first.id]) == {"新文艺队", "巾帼服务队"}


def test_cancelled_import_writes_nothing(ctx, roster):
    sheet = excel.read_sheet(roster)
    calls = {"n": 0}

    def cancel_after_first() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(excel.ImportCancelled):
        excel.import_volunteers(ctx, sheet, excel.guess_mapping(sheet), only_valid=True, cancelled=cancel_after_first)
    assert volunteers.count_volunteers(ctx) == 0


def test_not_a_roster(tmp_path, ctx):
    book = Workbook()
    book.active.append(["随便", "什么"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(Exception, match="找不到表头"):
        excel.read_sheet(tmp_path / "x.xlsx")
    (tmp_path / "y.xlsx").write_text("not excel")
    with pytest.raises(Exception, match="不是表格文件"):
        excel.read_sheet(tmp_path / "y.xlsx")
    (tmp_path / "z.xlsx").write_bytes((tmp_path / "x.xlsx").read_bytes()[:300])  # a zip cut short: damaged
    with pytest.raises(Exception, match="无法读取 z.xlsx：文件可能已损坏"):
        excel.read_sheet(tmp_path / "z.xlsx")
    with pytest.raises(Exception, match="找不到文件"):
        excel.read_sheet(tmp_path / "不存在.xlsx")


FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def test_an_xls_from_wps_with_a_landline_before_the_mobile_and_an_id_typed_as_a_number(ctx):
    sheet = excel.read_sheet(FIXTURES / "roster-wps.xls")
    mapping = excel.guess_mapping(sheet)
    assert sheet.headers[mapping["phone"]] == "手机号码"  # not the 联系电话 (a landline) before it
    plans = excel.plan_volunteers(ctx, sheet, mapping)
    assert [p.row for p in plans] == [3, 4, 5]
    assert plans[0].ok and plans[1].ok
    assert plans[0].values["phone"] == "13905310001" and plans[0].values["registered_on"] == "2023-04-01"
    assert plans[2].errors == ["身份证号被 Excel 存成了数字，后三位已丢失（现在是 370117199001010000）：请把这一列设为“文本”格式，"
                               "重新输入完整号码后再导入"]
    result = excel.import_volunteers(ctx, sheet, mapping, only_valid=True)
    assert result.imported == 2
    wang = volunteers.search_volunteers(ctx, "王秀英")[0]
    assert wang.phone == "13905310001" and str(wang.registered_on) == "2023-04-01"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_the_encodings_villages_have(ctx, tmp_path, encoding):
    text = f"姓名,身份证号,联系电话\r\n张三,{GOOD_ID1},13812345678\r\n李四,{GOOD_ID2},13912345678\r\n"
    path = tmp_path / "名册.csv"
    path.write_bytes(text.encode(encoding))
    sheet = excel.read_sheet(path)
    plans = excel.plan_volunteers(ctx, sheet, excel.guess_mapping(sheet))
    assert [(p.values["name"], p.ok) for p in plans] == [("张三", True), ("李四", True)]


def test_a_formula_without_a_saved_result_is_named_as_such(ctx, tmp_path):
    book = Workbook()
    ws = book.active
    ws.append(["姓名", "身份证号", "联系电话"])
    ws.append(["张三", '="370117"&"198005171237"', "13812345678"])  # written by a program: no cached value
    book.save(tmp_path / "公式.xlsx")
    sheet = excel.read_sheet(tmp_path / "公式.xlsx")
    plans = excel.plan_volunteers(ctx, sheet, excel.guess_mapping(sheet))
    assert len(plans) == 1 and len(plans[0].errors) == 1 and "身份证号是公式，但文件里没有保存计算结果" in plans[0].errors[0]


def test_activities_import(ctx, tmp_path):
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=GOOD_ID1, phone="13812345678", team_ids=[team.id])
    book = Workbook()
    ws = book.active
    ws.append(["2026年活动台账"])
    ws.append(["日期", "活动名称", "类别", "服务队", "地点", "开始时间", "结束时间", "服务对象人数", "参与志愿者"])
    ws.append(["2026-10-29", "重阳节敬老饺子宴", "敬老爱老", "敬老爱老服务队", "文化礼堂", "09:00", "11:30", 40, "张三"])
    ws.append(["2026-10-30", "走访", "敬老爱老", "敬老爱老服务队", "", "", "", 5, "李四"])
    book.save(tmp_path / "台账.xlsx")
    sheet = excel.read_sheet(tmp_path / "台账.xlsx", "activities")
    plans = excel.plan_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"))
    assert plans[0].ok and plans[1].errors == ["参与志愿者“李四”未登记"]
    result = excel.import_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"), only_valid=True)
    assert result.imported == 1
    listed = activities.list_activities(ctx)
    assert [(s.activity.title, s.participants, s.hours) for s in listed] == [("重阳节敬老饺子宴", 1, 2.5)]
    # The same file again: nothing doubles; a row repeated within a sheet is named too.
    again = excel.plan_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"))
    assert "可能已经导入过" in again[0].errors[0]
    with pytest.raises(ValidationError, match="第3行"):
        excel.import_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"))
    ws.append(["2026-11-02", "理发", "敬老爱老", "敬老爱老服务队", "", "14:00", "15:00", 3, "张三"])
    ws.append(["2026/11/2", "理发", "敬老爱老", "敬老爱老服务队", "", "14:00", "15:00", 3, "张三"])
    book.save(tmp_path / "台账2.xlsx")
    sheet = excel.read_sheet(tmp_path / "台账2.xlsx", "activities")
    plans = excel.plan_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"))
    assert plans[2].ok and plans[3].errors == ["与本表第5行是同一次活动（同一天、同名、同一服务队）"]
    assert len(activities.list_activities(ctx)) == 1


def test_an_activity_row_lists_all_its_problems_and_a_new_team_is_created(ctx, tmp_path):
    book = Workbook()
    ws = book.active
    ws.append(["日期", "活动名称", "类别", "服务队", "地点", "开始时间", "结束时间", "服务对象人数", "参与志愿者"])
    ws.append(["2026-10-29", "广场舞", "敬老爱老", "新文艺队", "文化礼堂", "09:00", "11:30", 40, ""])
    ws.append(["2026-10-30", "走访", "不是类别", "新文艺队", "", "", "", 5, "李四"])
    book.save(tmp_path / "台账.xlsx")
    sheet = excel.read_sheet(tmp_path / "台账.xlsx", "activities")
    mapping = excel.guess_mapping(sheet, "activities")
    plans = excel.plan_activities(ctx, sheet, mapping)
    assert plans[0].ok and plans[0].warnings == ["将新建服务队“新文艺队”"]
    problems = "；".join(plans[1].errors)
    assert "李四" in problems and "不是类别" in problems  # the unregistered volunteer does not hide the bad category
    excel.import_activities(ctx, sheet, mapping, only_valid=True)
    (listed,) = activities.list_activities(ctx)
    assert listed.team_name == "新文艺队"


def test_export_masks_for_a_clerk_and_reads_back(ctx, tmp_path):
    from app.models.enums import Role
    from app.services.context import Actor, Context

    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number="11010519491231002X", phone="13812345678")
    clerk = Context(store=ctx.store, actor=Actor("c", "王录入", Role.clerk))
    assert excel.export_volunteers(clerk, tmp_path / "名单.xlsx") == 1
    ws = load_workbook(tmp_path / "名单.xlsx").active
    assert ws["A1"].value == "志愿者名单" and ws["B2"].value == "姓名"
    assert ws["F3"].value == "110105********002X" and ws["G3"].value == "138****5678"
    # Opens well in WPS: real date cells, a frozen header repeated on every printed A4 page, widths.
    from datetime import datetime

    assert isinstance(ws["D3"].value, datetime) and ws["D3"].value.date() == __import__("datetime").date(1949, 12, 31)
    assert "年" in ws["D3"].number_format and isinstance(ws["L3"].value, datetime)
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$1:$2" and ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9 and ws.column_dimensions["F"].width >= 18  # 9: A4
    # masked for an admin too, unless the admin asks for the full list, which then says it is internal
    excel.export_volunteers(ctx, tmp_path / "管理员.xlsx")
    assert load_workbook(tmp_path / "管理员.xlsx").active["F3"].value == "110105********002X"
    excel.export_volunteers(ctx, tmp_path / "全.xlsx", full=True)
    full = load_workbook(tmp_path / "全.xlsx").active
    assert full["F3"].value == "11010519491231002X" and "内部资料" in full["A1"].value
    with pytest.raises(PermissionDenied):
        excel.export_volunteers(clerk, tmp_path / "不行.xlsx", full=True)


def test_every_export_and_the_register_masks_by_default_whoever_runs_it(demo_store, tmp_path):
    """The CLI runs as an admin: what it says (已打码) must be true of the file, for every export and print."""
    import re

    from pypdf import PdfReader

    from test_cli import station

    from app.models import Demand
    from sqlmodel import select

    data = demo_store.paths.root
    with demo_store.session() as session:  # the demo is made up to the day it is built: take its year
        year = max(d.received_on for d in session.exec(select(Demand))).year
    demo_store.close()
    phone = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    full_id = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
    for kind in ("volunteers", "demands", "points"):
        out = station(data, "export", kind, str(tmp_path / f"{kind}.xlsx")).stdout
        assert "已打码" in out
        cells = " ".join(str(c.value) for row in load_workbook(tmp_path / f"{kind}.xlsx").active.iter_rows() for c in row if c.value)
        assert not phone.search(cells) and not full_id.search(cells), kind
    station(data, "print", "demands", "--year", str(year), "--out", str(tmp_path / "登记簿.pdf"))
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "登记簿.pdf").pages)
    assert "*" in text and not phone.search(text.replace(" ", ""))
    full = station(data, "export", "volunteers", str(tmp_path / "全.xlsx"), "--full").stdout
    assert "内部资料" in full


def test_cli_import_prints_excel_row_numbers(roster, tmp_path, ctx):
    data = ctx.store.paths.root
    ctx.store.close()
    out = station(data, "import", "volunteers", str(roster), check=False)
    assert out.returncode == 1
    assert "第7行" in out.stderr and "第8行" in out.stderr and "第9行" in out.stderr
    assert "未导入任何数据" in out.stderr
    dry = station(data, "import", "volunteers", str(roster), "--dry-run", "--only-valid", check=False)
    assert "试运行" in dry.stdout
    ok = station(data, "import", "volunteers", str(roster), "--only-valid")
    assert "已导入 2 名志愿者，跳过 3 行" in ok.stdout
    exported = station(data, "export", "volunteers", str(tmp_path / "out.xlsx"))
    assert "已导出 2 条记录" in exported.stdout


def test_an_excel_row_past_what_a_column_can_hold_is_named_by_its_row(ctx, tmp_path):
    """The limits every flush checks (app/models/limits.py) reach the preview under the Excel row number."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet_ = book.active
    sheet_.append(["活动名称", "活动日期", "活动类别", "服务对象人数"])
    sheet_.append(["重阳节敬老饺子宴", "2026-10-29", "敬老爱老", 30])
    sheet_.append(["上门理发", "2026-10-30", "敬老爱老", 3000000000])
    book.save(tmp_path / "台账.xlsx")
    sheet = excel.read_sheet(tmp_path / "台账.xlsx", "activities")
    plans = excel.plan_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"))
    assert [p.errors for p in plans] == [[], ["服务对象人数应在0到100,000之间（现在是3,000,000,000）"]]
    assert excel.import_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"), only_valid=True).imported == 1


def test_a_roster_updates_volunteers_already_registered_with_a_preview(ctx, tmp_path):
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    zhang = volunteers.add_volunteer(ctx, registered_on="2024-01-01", name="张三", id_number=GOOD_ID1, phone="13812345678",
                                     skills="理发")
    book = Workbook()
    ws = book.active
    ws.append(["姓名", "身份证号", "手机号码", "技能特长", "所属队伍"])
    ws.append(["张三", GOOD_ID1, "13912345678", "", "敬老爱老服务队"])  # new phone, skills left empty: kept
    ws.append(["李四", GOOD_ID2, "13700001111", "电工", ""])  # new
    ws.append(["张三", GOOD_ID1.lower(), "13912345678", "", ""])  # the same person twice in the sheet
    book.save(tmp_path / "更新.xlsx")
    sheet = excel.read_sheet(tmp_path / "更新.xlsx")
    mapping = excel.guess_mapping(sheet)
    refused = excel.plan_volunteers(ctx, sheet, mapping)
    assert "更新已登记的志愿者" in refused[0].errors[0] and refused[1].ok
    plans = excel.plan_volunteers(ctx, sheet, mapping, update_existing=True)
    assert [p.action for p in plans[:2]] == ["更新", "新增"] and plans[2].errors == ["身份证号与本表第2行重复"]
    assert plans[0].changes == {"phone": ("138****5678", "139****5678"), "team": ("", "敬老爱老服务队")}
    result = excel.import_volunteers(ctx, sheet, mapping, only_valid=True, update_existing=True)
    assert (result.imported, result.updated, len(result.skipped)) == (1, 1, 1)
    again = volunteers.get_volunteer(ctx, zhang.id)
    assert (again.phone, again.skills, again.number) == ("13912345678", "理发", zhang.number)
    assert volunteers.current_team_ids(ctx, zhang.id) == [team.id] and volunteers.count_volunteers(ctx) == 2
    unchanged = excel.plan_volunteers(ctx, sheet, mapping, update_existing=True)
    assert unchanged[0].action == "无变化"


def test_a_gender_column_contradicting_the_id_is_said_and_a_csv_id_in_e_notation_gets_the_excel_hint(ctx, tmp_path):
    from app.services.idcard import parse_resident_id

    male, female = make_id(seq=711), make_id(seq=712)
    assert (parse_resident_id(male).gender, parse_resident_id(female).gender) == ("男", "女")
    (tmp_path / "名单.csv").write_text(
        "姓名,性别,身份证号\n"
        f"张三,女,{male}\n"  # contradicts the ID: said, stored as the ID says
        f"李四,女,{female}\n"  # agrees: nothing said
        "王五,男,3.70117E+17\n",  # a CSV saved from a number column
        encoding="utf-8-sig")
    sheet = excel.read_sheet(tmp_path / "名单.csv")
    plans = excel.plan_volunteers(ctx, sheet, excel.guess_mapping(sheet))
    assert plans[0].ok and plans[0].warnings == ["性别一栏填的是“女”，但身份证号显示为男性：请核对身份证号是否是本人的（将按身份证号记为男）"]
    assert plans[1].ok and plans[1].warnings == []
    assert plans[2].errors == ["身份证号被存成了科学计数法（现在是 3.70117E+17），完整号码已丢失：请在 Excel 或 WPS 里把这一列设为"
                               "“文本”格式，重新输入完整号码，另存为 .xlsx 后再导入"]
    excel.import_volunteers(ctx, sheet, excel.guess_mapping(sheet), only_valid=True)
    assert volunteers.search_volunteers(ctx, "张三")[0].gender == "男"
