"""Hours handed to 全国志愿服务信息系统 in its batch-entry layout, and read back: export → import into an
empty station → the same volunteers and hours. The layout is a mapping file a district can replace."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.exchange import national
from app.db import Store
from app.models import Activity, Participation, Volunteer
from app.models.enums import ActivityStatus, Role
from app.services.context import Actor, Context
from app.services.errors import PermissionDenied, ValidationError
from app.services.station import init_station


def busiest_year(store) -> int:
    with store.session() as session:
        days = session.exec(select(Activity.date).where(Activity.status == ActivityStatus.done.value, Activity.deleted == False)).all()
    counts: dict[int, int] = defaultdict(int)
    for day in days:
        counts[day.year] += 1
    return max(counts, key=counts.get)


def hours_by_person(store, year: int) -> dict[tuple[str, str, str], float]:
    """(ID number, name, phone) → that year's hours in done, live activities."""
    out: dict[tuple[str, str, str], float] = defaultdict(float)
    with store.session() as session:
        for p, v, a in session.exec(select(Participation, Volunteer, Activity)
                                    .join(Volunteer, Volunteer.id == Participation.volunteer_id)
                                    .join(Activity, Activity.id == Participation.activity_id)
                                    .where(Participation.deleted == False, Activity.deleted == False,
                                           Activity.status == ActivityStatus.done.value)):
            if a.date.year == year:
                out[(v.id_number, v.name, v.phone)] += p.hours
    return {k: round(h, 2) for k, h in out.items()}


@pytest.fixture
def empty_station(tmp_path):
    with Store.open(tmp_path / "empty") as store:
        init_station(store, name="新建村新时代文明实践站", kind="village", population=800, street="艾山街道")
        yield store


def test_export_then_import_into_an_empty_station_gives_the_same_volunteers_and_hours(demo_store, empty_station, tmp_path):
    """Done when: the national export of the demo station's year opens in openpyxl with the documented
    columns, and the round trip holds."""
    year = busiest_year(demo_store)
    target = tmp_path / "全国系统.xlsx"
    rows = national.export_national(Context(store=demo_store), target, year=year)
    mapping = national.load_mapping()
    sheet = load_workbook(target).active
    assert sheet.title == mapping.sheet
    assert [c.value for c in sheet[1]] == [c.header for c in mapping.columns]
    assert sheet.max_row == rows + 1 and rows > 50
    headers = [c.value for c in sheet[1]]
    first = dict(zip(headers, [c.value for c in sheet[2]], strict=True))
    assert len(first["证件号码"]) == 18 and "*" not in first["证件号码"]  # the national system needs the real number
    assert sheet.cell(2, headers.index("证件号码") + 1).number_format == "@"
    assert first["记录来源"] == "新时代文明实践站台账" and first["服务时长（小时）"] > 0
    source = hours_by_person(demo_store, year)
    assert sum(source.values()) == pytest.approx(sum(r[headers.index("服务时长（小时）")].value for r in sheet.iter_rows(min_row=2)))

    result = national.import_national(Context(store=empty_station), target)
    assert result.volunteers_added == len(source) and result.records_added == rows
    assert hours_by_person(empty_station, year) == source
    with empty_station.session() as session:
        people = session.exec(select(Volunteer)).all()
        # registered no later than their first service (the app refuses service before registration)
        assert all(v.gender and v.birth_date for v in people)

    again = national.import_national(Context(store=empty_station), target)  # the same file twice: nothing twice
    assert again.volunteers_added == 0 and again.records_added == 0 and again.records_known == rows
    assert hours_by_person(empty_station, year) == source


def test_only_an_admin_exports_full_id_numbers_and_it_is_recorded(demo_store, tmp_path):
    from app.services.audit import PersonalDataView

    clerk = Context(store=demo_store, actor=Actor("clerk", "王录入", Role.clerk))
    with pytest.raises(PermissionDenied, match="只有管理员"):
        national.export_national(clerk, tmp_path / "x.xlsx", year=busiest_year(demo_store))
    assert not (tmp_path / "x.xlsx").exists()
    national.export_national(Context(store=demo_store), tmp_path / "y.xlsx", year=busiest_year(demo_store), month=3)
    with demo_store.session() as session:
        views = session.exec(select(PersonalDataView)).all()
    assert any("全国志愿服务信息系统" in v.what and "y.xlsx" in v.what for v in views)


def test_an_export_from_the_provincial_system_with_other_headers_and_a_bad_row(empty_station, tmp_path):
    """志愿山东's own headers (aliases), a CSV in GBK as WPS saves it; a bad row names its row and writes nothing."""
    from conftest import make_id

    rows = [
        ["志愿者姓名", "身份证号", "联系电话", "活动名称", "开始时间", "结束时间", "服务时长", "服务类型", "活动地点"],
        ["王秀英", make_id(seq=12), "13812345678", "清洁家园", "2026/3/5 9:00", "2026/3/5 11:00", "2", "生态环保", "村委广场"],
        ["李建国", make_id(seq=13), "13912345678", "清洁家园", "2026/3/5 9:00", "2026/3/5 11:00", "1.5小时", "生态环保", "村委广场"],
        ["王秀英", make_id(seq=12), "13812345678", "政策宣讲", "2026-04-01 14:30", "", "1", "理论政策宣讲", ""],
    ]
    good = tmp_path / "志愿山东.csv"
    good.write_bytes("\n".join(",".join(r) for r in rows).encode("gb18030"))
    bad = tmp_path / "坏.csv"
    bad.write_bytes("\n".join(",".join(r) for r in rows[:2] + [rows[2][:6] + ["两小时"] + rows[2][7:]]).encode("gb18030"))
    ctx = Context(store=empty_station)
    with pytest.raises(ValidationError, match="第3行：服务时长“两小时”不是数字"):
        national.import_national(ctx, bad)
    with empty_station.session() as session:
        assert session.exec(select(Volunteer)).all() == []
    result = national.import_national(ctx, good)
    assert (result.volunteers_added, result.activities_added, result.records_added) == (2, 2, 3)
    with empty_station.session() as session:
        cleaning = session.exec(select(Activity).where(Activity.title == "清洁家园")).one()
        assert cleaning.category == "卫生环保" and str(cleaning.start_time) == "09:00:00" and str(cleaning.end_time) == "11:00:00"
        hours = sorted(p.hours for p in session.exec(select(Participation).where(Participation.activity_id == cleaning.id)))
        assert hours == [1.5, 2.0]


def test_the_district_replaces_the_layout_without_a_release(demo_store, empty_station, tmp_path):
    text = national.MAPPING_FILE.read_text(encoding="utf-8").replace('header = "证件号码"', 'header = "公民身份号码"').replace(
        'name = "全国志愿服务信息系统·志愿服务记录批量补录"', 'name = "2027版批量补录"')
    (demo_store.paths.root / national.MAPPING_OVERRIDE).write_text(text, encoding="utf-8")
    year = busiest_year(demo_store)
    target = tmp_path / "新格式.xlsx"
    national.export_national(Context(store=demo_store), target, year=year)
    headers = [c.value for c in load_workbook(target).active[1]]
    assert "公民身份号码" in headers and "证件号码" not in headers
    # the empty station has the built-in layout, which still knows the column by its alias? No: it names what is missing.
    with pytest.raises(ValidationError, match="缺少列：证件号码"):
        national.import_national(Context(store=empty_station), target)
    national.import_national(Context(store=empty_station), target, mapping=national.parse_mapping(text))
    assert hours_by_person(empty_station, year) == hours_by_person(demo_store, year)
    with pytest.raises(national.MappingError, match="不认识的字段：shoe_size"):
        national.parse_mapping(text + '\n[[column]]\nheader = "鞋码"\nfield = "shoe_size"\n')


def test_the_mapping_reaches_stations_by_sync(demo_store, district_sqlite):
    from sync.server import admin
    from test_sync import enroll

    text = national.MAPPING_FILE.read_text(encoding="utf-8").replace('sheet = "志愿服务记录"', 'sheet = "服务记录2027"')
    with pytest.raises(national.MappingError):
        admin.publish_national_mapping(district_sqlite.engine, "column = 1")
    admin.publish_national_mapping(district_sqlite.engine, text)
    enroll(demo_store, district_sqlite).sync()
    assert national.load_mapping(data_dir=demo_store.paths.root).sheet == "服务记录2027"


def test_cli_export_national(demo_store, tmp_path):
    year = busiest_year(demo_store)
    root = demo_store.paths.root
    demo_store.close()
    out = subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(root), "export", "national", "--year", str(year),
                          "--out", str(tmp_path / "n.xlsx")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "志愿服务记录" in out.stdout and "内部资料" in out.stdout and (tmp_path / "n.xlsx").exists()
    out = subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(root), "export", "national", "--out", str(tmp_path / "m.xlsx")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "--year" in out.stderr


def test_an_xls_export_of_the_provincial_system_reads_in(empty_station, tmp_path):
    """The .xls (Excel 97) file the national system and 志愿山东 hand out: real date cells, a title row above
    the header, numbers stored as numbers — read through the same mapping."""
    from datetime import datetime

    import xlwt

    from conftest import make_id

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("服务记录")
    when = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    ws.write(0, 0, "志愿山东 志愿服务记录导出（2026年3月）")
    headers = ["志愿者姓名", "证件号码", "手机号", "项目名称", "服务开始时间", "服务结束时间", "志愿服务时长", "服务类型", "所属团体"]
    for c, h in enumerate(headers):
        ws.write(1, c, h)
    rows = [("王秀英", make_id(seq=12), 13812345678, "环境整治", datetime(2026, 3, 5, 9), datetime(2026, 3, 5, 11), 2, "生态环保", "美丽庭院环保队"),
            ("李建国", make_id(seq=13), 13912345678, "环境整治", datetime(2026, 3, 5, 9), datetime(2026, 3, 5, 11), 1.5, "生态环保", "")]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            ws.write(r, c, value, when) if isinstance(value, datetime) else ws.write(r, c, value)
    path = tmp_path / "志愿山东导出.xls"
    book.save(str(path))
    result = national.import_national(Context(store=empty_station), path)
    assert (result.volunteers_added, result.activities_added, result.records_added) == (2, 1, 2)
    with empty_station.session() as session:
        people = {v.name: v for v in session.exec(select(Volunteer))}
        held = session.exec(select(Activity)).one()
        hours = sorted(p.hours for p in session.exec(select(Participation)))
    assert people["王秀英"].phone == "13812345678" and people["李建国"].id_number == make_id(seq=13)
    assert str(held.date) == "2026-03-05" and str(held.start_time) == "09:00:00" and held.category == "卫生环保"
    assert hours == [1.5, 2.0]
