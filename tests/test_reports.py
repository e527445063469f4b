"""Printed binders, read back: text, embedded fonts, page numbers, masking, a rendered page."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta

import pypdf
import pytest
from PIL import Image

from app import reports
from app.models.enums import Role
from app.services import activities, audit, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Actor, Context
from app.services.errors import PermissionDenied, ValidationError
from conftest import make_id
from test_cli import station

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
STANDARD_14 = {"/Helvetica"}  # reportlab's canvas always lists it; it draws nothing of ours


def text_of(path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def assert_fonts_embedded(path) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/BaseFont"] in STANDARD_14:
                continue
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
            names.add(str(font["/BaseFont"]).split("+", 1)[1])
    return names


def assert_page_numbers(pages: list[str]) -> None:
    total = len(pages)
    for n, text in enumerate(pages, start=1):
        # The total is a form drawn once at the end (streamed pages): text extraction puts it on a line of its own.
        assert f"第 {n} 页 共 {total} 页" in re.sub(r"共\s+", "共 ", text)


@pytest.fixture
def clerk(demo_store):
    return Context(store=demo_store, actor=Actor("clerk", "王录入", Role.clerk))


def test_ledger_every_title_and_participant_extractable(clerk, tmp_path):
    out = reports.ledger_pdf(clerk, tmp_path / "台账.pdf", date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    pages = text_of(out)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    summaries = activities.list_activities(clerk, year=2026)
    assert text.count("活动记录表（") == len(summaries)
    for s in summaries:
        assert s.activity.title in text
        for part in activities.participants_of(clerk, s.activity.id):
            assert part.volunteer.name in text
    assert "活 动 台 账" in pages[0] and "艾山街道杨家庄村新时代文明实践站" in pages[0]
    # each label on one line: at 33 mm the "：" of 负责人（签字）： went onto a line of its own (a trial)
    assert "负责人（签字）：" in text and "记录人（签字）：" in text
    assert assert_fonts_embedded(out) == {"WenQuanYiMicroHei-0"}
    assert not FULL_ID.search(text)


def test_the_ledgers_list_keeps_each_date_on_one_line_and_ends_with_its_totals(clerk, tmp_path):
    """A trial: the 活动一览's 日期 column broke every date (“2026年1月2 / 日”) and the list had no 合计 row."""
    from app.services.common import format_date

    out = reports.ledger_pdf(clerk, tmp_path / "台账.pdf", date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    pages = text_of(out)
    listing = "\n".join(page for page in pages if "活动记录表（" not in page and "活 动 台 账" not in page)
    done = activities.list_activities(clerk, year=2026, status="done")
    assert all(format_date(s.activity.date) in listing for s in done)  # no line break inside a date
    flat = re.sub(r"\s+", " ", listing)
    totals = flat[flat.rindex("合计 共"):]
    hours, served = sum(s.hours for s in done), sum(s.activity.served_count for s in done)
    assert totals.startswith(f"合计 共 {len(done)} 次 {sum(s.participants for s in done)} {hours:g} {served}"), totals[:80]


def test_the_ledger_holds_what_was_done_not_what_is_planned(clerk, tmp_path):
    """A trial: the month's printed 活动台账 listed a planned activity of next week (its 内容 the plan's stock sentence)
    and its cover said 活动次数 11 while the 工作台 said 10."""
    planned = activities.add_activity(clerk, title="下周的重阳节慰问", category="敬老爱老", date=date(2026, 10, 20),
                                      status="planned")
    out = reports.ledger_pdf(clerk, tmp_path / "台账.pdf", date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    text = "\n".join(text_of(out))
    done = [s for s in activities.list_activities(clerk, year=2026, month=10) if s.activity.status == "done"]
    assert planned.title not in text
    assert f"活动次数 {len(done)} 次" in text.replace("\n", " ") and text.count("活动记录表（") == len(done) > 0


def test_the_ledger_prints_what_the_list_shows_and_one_activitys_record_alone(clerk, tmp_path):
    """A trial: searched for “垃圾分类” (the list said 共 1 条), 打印台账 printed the whole month, and there was no way to
    print one activity's 活动记录表. The ledger follows the search too; chosen activities print as their records
    alone (no cover, no 一览), numbered as chosen, in date order."""
    year = activities.list_activities(clerk, year=2026, status="done")
    word = year[0].activity.title[:4]
    matching = [s for s in year if word in s.activity.title or word in s.activity.place or word in s.activity.category]
    assert 0 < len(matching) < len(year)
    out = reports.ledger_pdf(clerk, tmp_path / "搜索.pdf", date_from=date(2026, 1, 1), date_to=date(2026, 12, 31),
                             text=word)
    text = "\n".join(text_of(out))
    assert text.count("活动记录表（") == len(matching) and f"活动次数 {len(matching)} 次" in text.replace("\n", " ")
    assert all(s.activity.title in text for s in matching)
    # the cover says it is a search, not the whole year, and that planned ones are left out (a second trial)
    planned = activities.add_activity(clerk, title=f"{word}（计划）", category="敬老爱老", date=date(2026, 11, 20),
                                      status="planned")
    cover = text_of(reports.ledger_pdf(clerk, tmp_path / "搜索2.pdf", date_from=date(2026, 1, 1),
                                       date_to=date(2026, 12, 31), text=word))[0].replace("\n", " ")
    assert f"查找“{word}”" in cover and "计划中的 1 次未列入" in cover and planned.title not in cover
    assert f"活动一览（2026年 · 查找“{word}”）" in "".join(text_of(out)).replace("\n", "")  # the list's heading too
    chosen = [year[1], year[5]]  # the list is newest first: year[5] is the earlier
    pages = text_of(reports.records_pdf(clerk, tmp_path / "记录表.pdf", [s.activity.id for s in chosen]))
    text = "\n".join(pages)
    assert "活 动 台 账" not in text and "活动一览" not in text
    assert text.count("活动记录表（") == 2 and pages[0].count("活动记录表（1）") == 1
    assert year[5].activity.title in pages[0] and year[1].activity.title not in pages[0]  # the earlier one first
    assert all(s.activity.title in text for s in chosen) and "负责人（签字）：" in text
    assert_page_numbers(pages)


def test_roster_masks_for_every_role_unless_an_admin_asks(clerk, demo_store, tmp_path):
    text = "\n".join(text_of(reports.roster_pdf(clerk, tmp_path / "名册.pdf")))
    from app.reports.roster import _unassigned

    loose = _unassigned(clerk)
    assert loose and "未编队志愿者名册" in text and all(v.name in text for v in loose)  # the demo's 25 volunteers in no team
    assert not FULL_ID.search(text) and "****" in text
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)  # no full mobile either
    for s in teams.list_teams(clerk):
        assert f"{s.team.name} 队伍名册" in text
    admin = Context(store=demo_store, actor=Actor("admin", "杨红霞", Role.admin))
    assert not FULL_ID.search("\n".join(text_of(reports.roster_pdf(admin, tmp_path / "码.pdf"))))  # masked by default
    assert FULL_ID.search("\n".join(text_of(reports.roster_pdf(admin, tmp_path / "全.pdf", full=True))))
    with pytest.raises(PermissionDenied):
        reports.roster_pdf(clerk, tmp_path / "不许.pdf", full=True)
    assert [(v.operator, v.entity) for v in audit.list_views(admin)] == [("杨红霞", "export")]  # the full print is recorded


def test_a_demo_stations_documents_say_so_on_every_page(clerk, demo_store, tmp_path):
    """A trial: a 志愿服务记录证明 printed from the demo — numbered, with its QR code and the village's name — looked
    like a real one. A demo's documents carry 示范站 · 虚构数据 across every page; a real station's do not."""
    from app.reports.common import DEMO_MARK
    from app.settings import Settings

    person = volunteers.search_volunteers(clerk, limit=1)[0]
    real, _n = reports.certificate_pdf(clerk, tmp_path / "真.pdf", volunteer_id=person.id, year=2026)
    assert DEMO_MARK not in "\n".join(text_of(real))
    Settings(demo_store.paths.settings).set("is_demo", True)  # as app.demo.make_demo_login marks a demo
    demo, _n = reports.certificate_pdf(clerk, tmp_path / "示范.pdf", volunteer_id=person.id, year=2026)
    ledger = reports.ledger_pdf(clerk, tmp_path / "台账.pdf", date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    for out in (demo, ledger):
        pages = text_of(out)
        assert all(DEMO_MARK in page for page in pages), out.name


def test_certificate_four_blocks_masked_and_numbered(clerk, tmp_path):
    busiest = max(volunteers.search_volunteers(clerk), key=lambda v: volunteers.volunteer_hours(clerk, v.id, year=2026))
    out, number = reports.certificate_pdf(clerk, tmp_path / "证明.pdf", volunteer_id=busiest.id, year=2026)
    text = "\n".join(text_of(out))
    for block in ("一、志愿者基本信息", "二、志愿服务信息", "三、出具单位信息", "四、证明编号及出具日期"):
        assert block in text
    hours = volunteers.volunteer_hours(clerk, busiest.id, year=2026)
    assert f"累计志愿服务时长 {hours:g} 小时" in text
    assert number in text and busiest.number in text and busiest.name in text
    assert not FULL_ID.search(text)
    _out2, other = reports.certificate_pdf(clerk, tmp_path / "证明2.pdf", volunteer_id=busiest.id, year=2026)
    assert other != number  # unique per issuance


def test_summary_has_chart_and_tables(clerk, tmp_path):
    out = reports.summary_pdf(clerk, tmp_path / "统计.pdf", year=2026)
    text = "\n".join(text_of(out))
    assert "2026年工作统计" in text and "各月开展活动次数" in text and "各服务队每月活动次数" in text
    for s in teams.list_teams(clerk):
        assert s.team.name in text
    month = reports.summary_pdf(clerk, tmp_path / "月.pdf", year=2026, month=10)
    assert "2026年10月工作统计" in "\n".join(text_of(month))


def test_first_page_renders_to_png(clerk, tmp_path):
    assert shutil.which("pdftoppm"), "pdftoppm comes from poppler-utils (.ci/run installs it)"
    out = reports.ledger_pdf(clerk, tmp_path / "台账.pdf", date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    image = Image.open(png).convert("L")
    assert image.size[0] < image.size[1]  # portrait A4
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # text was drawn, not a blank page


def test_a_photo_is_captioned_by_its_number_and_its_caption_never_its_file_name(ctx, tmp_path):
    from PySide6.QtGui import QColor, QImage  # only to draw test photos

    act = activities.add_activity(ctx, title="清理河道垃圾", date=date(2026, 5, 9), category="卫生环保")
    for name, colour, caption in (("IMG_20260509_093012.jpg", "green", ""), ("DSC0002.jpg", "blue", "清理后的河岸")):
        image = QImage(320, 240, QImage.Format.Format_RGB32)
        image.fill(QColor(colour))
        image.save(str(tmp_path / name))
        activities.add_photo(ctx, act.id, tmp_path / name, caption=caption)
    pages = text_of(reports.ledger_pdf(ctx, tmp_path / "台账.pdf", date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)))
    text = "\n".join(pages)
    record = next(page for page in pages if "活动记录表（1）" in page)
    assert "服务对象人数" in record and "负责人（签字）：" in record  # no label broken over two lines (a trial)
    assert "图1" in text and "图2 清理后的河岸" in text  # (the full-width space is read back as a space)
    assert "IMG_" not in text and "DSC" not in text


def test_rare_characters_and_a_huge_ledger(ctx, tmp_path):
    """300 activities with very long texts, one with 100 participants and 20 photos, names with 㑇 and 龘."""
    rare = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="王㑇龘", id_number=make_id(seq=901), phone="13812345678")
    people = [rare] + [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"志愿者{i:03d}", id_number=make_id(seq=i, born=date(1970, 1, 1) + timedelta(days=i)),
                                                phone="13812345678") for i in range(99)]
    team = teams.add_team(ctx, name="超长名称的服务队" * 5, category="敬老爱老")
    from PySide6.QtGui import QColor, QImage  # only to draw test photos

    photo = tmp_path / "p.jpg"
    image = QImage(640, 480, QImage.Format.Format_RGB32)
    image.fill(QColor("green"))
    image.save(str(photo))
    start = date.today() - timedelta(days=400)
    long_title = "关于深化拓展新时代文明实践中心建设的志愿服务活动" * 6
    for i in range(300):
        day = start + timedelta(days=i)
        people_here = people if i == 0 else people[1 + i % 90 : 4 + i % 90]
        act = activities.add_activity(ctx, title=f"{i:03d}{long_title}", date=day, category="敬老爱老", team_id=team.id,
                                      place="新时代文明实践站广场" * 8, content="群众反响良好，" * 300,
                                      participants=[ParticipantInput(v.id, 1.0) for v in people_here])
        if i == 0:
            for _ in range(20):
                activities.add_photo(ctx, act.id, photo, caption="活动现场" * 10)
    out = reports.ledger_pdf(ctx, tmp_path / "大台账.pdf", date_from=start, date_to=date.today())
    pages = text_of(out)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    assert "王㑇龘" in text.replace("\n", "")
    assert assert_fonts_embedded(out) == {"WenQuanYiMicroHei-0", "DroidSansFallback"}
    assert text.count("活动记录表（") == 300
    assert len(pages) > 300


def test_cancel_from_progress(ctx, tmp_path):
    activities.add_activity(ctx, title="x", date=date.today(), category="敬老爱老")
    with pytest.raises(reports.Cancelled):
        reports.ledger_pdf(ctx, tmp_path / "x.pdf", date_from=date(2000, 1, 1), date_to=date.today(), progress=lambda *a: False)
    assert not (tmp_path / "x.pdf").exists()


def test_cli_print_commands(demo_store, tmp_path):
    from app.services import operators

    data = demo_store.paths.root
    from app.models.enums import Role
    from app.services.context import Actor

    admin = Context(store=demo_store, actor=Actor("admin", "管理员", Role.admin))
    operators.create_operator(admin, username="lilu", display_name="李璐", password="secret9", role="clerk")
    demo_store.close()
    shown = date.today().replace(day=1) - timedelta(days=40)  # a month the demo has filled, whatever today is
    out = station(data, "print", "ledger", "--year", str(shown.year), "--month", str(shown.month), "--out", str(tmp_path / "l.pdf")).stdout
    assert "已生成活动台账" in out and (tmp_path / "l.pdf").exists()
    out = station(data, "print", "roster", "--team", "村民文艺队", "--out", str(tmp_path / "r.pdf")).stdout
    assert "已打码" in out and not FULL_ID.search("\n".join(text_of(tmp_path / "r.pdf")))
    signer = ("--operator", "lilu", "--password-stdin")  # the 经办人 logs in: a person, not the shell's account
    empty = station(data, "print", "certificate", "--volunteer", "ZY000002", "--year", "2026", "--out", str(tmp_path / "c.pdf"),
                    *signer, input="secret9\n", check=False)
    assert empty.returncode == 1 and "0 小时" in empty.stderr and not (tmp_path / "c.pdf").exists()  # a warning, not a silent 0
    wrong = station(data, "print", "certificate", "--volunteer", "ZY000002", "--year", "2026", "--out", str(tmp_path / "c.pdf"),
                    "--allow-empty", *signer, input="guess\n", check=False)
    assert wrong.returncode == 1 and "登录名或密码不正确" in wrong.stderr and not (tmp_path / "c.pdf").exists()
    out = station(data, "print", "certificate", "--volunteer", "ZY000002", "--year", "2026", "--out", str(tmp_path / "c.pdf"),
                  "--allow-empty", *signer, input="secret9\n").stdout
    number = re.search(rf"证明编号 (ZM-\w+-{date.today().year}-\d{{4}})", out).group(1)  # numbered in the year it is issued
    assert "经办人（签字）：李璐" in "".join(text_of(tmp_path / "c.pdf")).replace("\n", "") and "命令行" not in out
    verified = station(data, "certificate", "verify", number).stdout
    assert "登记簿记载" in verified and "ZY000002" in verified and "累计服务时长：0 小时" in verified and "经办人：李璐" in verified
    assert station(data, "certificate", "verify", "ZM-FAKE00-2026-9999", check=False).returncode == 1
    kept = data / "certificates" / f"{number}.pdf"
    kept.write_bytes(kept.read_bytes() + b"%")  # the archived paper replaced: verify no longer vouches for it
    altered = station(data, "certificate", "verify", number, check=False)
    assert altered.returncode == 2 and "核验未通过" in altered.stderr and "已被改动" in altered.stderr
    kept.unlink()
    gone = station(data, "certificate", "verify", number, check=False)
    assert gone.returncode == 2 and "存档文件不在了" in gone.stderr
    notice = station(data, "print", "certificate-notice", "--from", f"{date.today().year}-01-01", "--out", str(tmp_path / "n.pdf")).stdout
    assert "已生成证明公示" in notice and number in "".join(text_of(tmp_path / "n.pdf")).replace("\n", "")
    out = station(data, "print", "summary", "--year", "2026", "--out", str(tmp_path / "s.pdf")).stdout
    assert "已生成工作统计" in out
    bad = station(data, "print", "roster", "--team", "没有这个队", "--out", str(tmp_path / "x.pdf"), check=False)
    assert bad.returncode == 1 and "找不到" in bad.stderr


def test_certificates_are_numbered_registered_verifiable_and_reprinted_as_issued(clerk, demo_store, tmp_path):
    from app.reports.certificate import find_certificate, list_certificates, reprint_certificate

    busiest = max(volunteers.search_volunteers(clerk), key=lambda v: volunteers.volunteer_hours(clerk, v.id, year=2026))
    first, n1 = reports.certificate_pdf(clerk, tmp_path / "1.pdf", volunteer_id=busiest.id, year=2026)
    second, n2 = reports.certificate_pdf(clerk, tmp_path / "2.pdf", volunteer_id=busiest.id)
    code = n1.split("-")[1]
    assert n1 == f"ZM-{code}-{date.today().year}-0001" and n2 == f"ZM-{code}-{date.today().year}-0002"
    record = find_certificate(clerk, n1.lower())  # typed in lower case from the paper
    assert (record.volunteer_name, record.hours, record.operator) == (busiest.name, volunteers.volunteer_hours(clerk, busiest.id, year=2026), "王录入")
    assert [r.number for r in list_certificates(clerk, volunteer_id=busiest.id)] == [n2, n1]
    again = reprint_certificate(clerk, n1, tmp_path / "again.pdf")
    assert again.read_bytes() == first.read_bytes()  # identical, not re-rendered
    pages = [page.extract_text() for page in pypdf.PdfReader(first).pages]
    assert "出具单位盖章" in pages[0] and "负责人（签字）" in pages[0] and "经办人（签字）" in pages[0] and "王录入" in pages[0]
    assert n1 in pages[0] and "附表" in pages[1]  # the seal on the first page, the itemised service after
    assert not FULL_ID.search("\n".join(pages))
    with pytest.raises(PermissionDenied):
        reports.certificate_pdf(clerk, tmp_path / "full.pdf", volunteer_id=busiest.id, full_id=True)
    assert len(list_certificates(clerk)) == 2  # the refused one took no number
    admin = Context(store=demo_store, actor=Actor("admin", "杨红霞", Role.admin))
    full, n3 = reports.certificate_pdf(admin, tmp_path / "full.pdf", volunteer_id=busiest.id, full_id=True)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(full).pages).replace("\n", "")
    assert busiest.id_number in text and "仅供出具证明使用" in text and find_certificate(admin, n3).full_id
    assert any(n3 in v.what for v in audit.list_views(admin))
    kept = demo_store.paths.root / "certificates" / f"{n1}.pdf"
    kept.write_bytes(kept.read_bytes() + b"%tampered")
    with pytest.raises(ValidationError, match="已被改动"):
        reprint_certificate(clerk, n1, tmp_path / "bad.pdf")


def test_selfcheck_report_says_what_the_evaluator_says(clerk, tmp_path):
    from app.rules import STATUS_LABELS, Period, selfcheck

    today = date.today()
    out = reports.selfcheck_pdf(clerk, tmp_path / "自查.pdf", year=today.year, month=today.month)
    text = "\n".join(text_of(out)).replace("\n", "")
    assert f"“五有”标准自查报告（{today.year}年{today.month}月）" in text
    for v in selfcheck(clerk, Period.of(year=today.year, month=today.month)):
        assert v.title.replace("\n", "")[:8] in text and STATUS_LABELS[v.status] in text
        if v.gap:
            assert v.gap[:10] in text
    assert assert_fonts_embedded(out) == {"WenQuanYiMicroHei-0"}


def test_the_selfchecks_follow_up_list_holds_every_requirement_missed_or_at_risk(clerk, tmp_path):
    """A trial: page 1 said 有风险 6 项、未达标 1 项, and 需要跟进的事项 listed 3: only the requirements that name
    particular teams or months. Each one missed or at risk is there, with what to do when it names nothing."""
    from app.rules import AT_RISK, MISSED, Period, selfcheck

    period = Period.of(year=2026, month=12)
    verdicts = [v for v in selfcheck(clerk, period) if v.status in (AT_RISK, MISSED)]
    assert any(not v.details for v in verdicts) and any(v.details for v in verdicts)  # both kinds in the demo
    out = reports.selfcheck_pdf(clerk, tmp_path / "自查.pdf", year=2026, month=12)
    text = "\n".join(text_of(out)).replace("\n", "")
    follow_up = text[text.index("需要跟进的事项"):]
    for v in verdicts:
        assert v.title.replace("\n", "")[:8] in follow_up, v.title


def test_certificate_and_volunteer_show_count_the_same_hours(ctx, tmp_path):
    """An all-time certificate counts all service (it once said 0 hours against 8), from the registration on."""
    person = volunteers.add_volunteer(ctx, name="张三", id_number=make_id(seq=31), phone="13812345678", registered_on=date(2026, 3, 1))
    for day in (date(2026, 3, 5), date(2026, 7, 9)):
        activities.add_activity(ctx, title=f"活动{day:%m%d}", date=day, category="敬老爱老", participants=[ParticipantInput(person.id, 4.0)])
    path, _number = reports.certificate_pdf(ctx, tmp_path / "证明.pdf", volunteer_id=person.id)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages).replace(" ", "").replace("\n", "")
    assert volunteers.volunteer_hours(ctx, person.id) == 8
    assert "累计志愿服务时长8小时" in text and "2026年3月1日至" in text  # from the 注册日期


def test_the_certificate_notice_lists_what_was_issued_masked_for_the_notice_board(clerk, demo_store, tmp_path):
    """民发〔2015〕149号: an issued certificate is made public within the unit for not less than 7 days (#26)."""
    from app.reports.certificate import certificate_notice_pdf, revoke_certificate

    people = sorted(volunteers.search_volunteers(clerk), key=lambda v: -volunteers.volunteer_hours(clerk, v.id, year=2026))[:2]
    numbers = [reports.certificate_pdf(clerk, tmp_path / f"{i}.pdf", volunteer_id=v.id, year=2026)[1] for i, v in enumerate(people)]
    revoke_certificate(clerk, numbers[1], "重复出具")
    out = certificate_notice_pdf(clerk, tmp_path / "公示.pdf", date_from=date.today().replace(day=1), date_to=date.today())
    text = "".join(text_of(out)).replace("\n", "")
    assert "志愿服务记录证明出具情况公示" in text and "共出具志愿服务记录证明 2 份" in text and "公示期不少于 7 天" in text
    assert all(n in text for n in numbers) and "已作废（重复出具）" in text
    assert all(v.name not in text and v.name[0] in text for v in people if len(v.name) > 1)  # masked on the notice board
