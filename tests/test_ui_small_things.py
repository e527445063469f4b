"""What clerks asked for: 复制此活动, whole texts on hover, 另存为 into Documents with a message, and a
field's error that goes once the field is changed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QFileDialog, QLabel, QMessageBox, QPushButton

from app.services import activities, operators
from app.services.common import format_date
from app.services.context import Context
from app.settings import Settings
from ui import saving
from ui.dialogs.activity import ActivityDialog
from ui.dialogs.preview import PdfPreview
from ui.dialogs.volunteer import VolunteerDialog
from ui.main_window import MainWindow
from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)
from ui_helpers import type_text, when_modal


def test_copy_this_activity_keeps_everything_but_the_date_and_photos(qtbot, window):
    window.go("activities")
    page = window.pages["activities"]
    page.year.setCurrentIndex(0)
    source = next(page.model.row(i).activity for i in range(page.model.rowCount()) if page.model.row(i).participants >= 2)
    row = next(i for i in range(page.model.rowCount()) if page.model.row(i).activity.id == source.id)
    page.table.selectRow(row)
    people = {p.volunteer.id: p.participation.hours for p in activities.participants_of(window.ctx, source.id)}
    before = page.model.total
    seen = {}
    # The day it happened: the latest day before today on which none of its people served at its hours (a copy on
    # a day they were busy at that time asks 服务时段重叠 — tested in test_hours_overlap — whichever day the suite runs).
    day = next(d for d in (date.today() - timedelta(days=n) for n in range(1, 400))
               if not activities.overlapping(window.ctx, day=d, start=source.start_time, end=source.end_time,
                                             volunteer_ids=list(people)))

    def check_and_save(dialog) -> None:
        assert isinstance(dialog, ActivityDialog) and "复制自" in dialog.windowTitle()
        seen.update(title=dialog.title_edit.text(), date=dialog.date.date().toPython(), photos=dialog.photos.count(),
                    place=dialog.place.text(), served=dialog.served.value())
        dialog.date.setDate(day)  # the clerk sets the day it happened
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)

    when_modal(check_and_save, kind=ActivityDialog)
    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    assert seen["title"] == source.title and seen["place"] == source.place and seen["served"] == source.served_count
    assert seen["date"] == date.today() and seen["photos"] == 0
    qtbot.waitUntil(lambda: page.model.total == before + 1)
    copies = [s.activity for s in activities.list_activities(window.ctx, text=source.title, limit=500) if s.activity.id != source.id
              and s.activity.date == day]
    assert len(copies) == 1
    copied = {p.volunteer.id: p.participation.hours for p in activities.participants_of(window.ctx, copies[0].id)}
    assert copied == people and activities.photos_of(window.ctx, copies[0].id) == []


def test_long_texts_elide_with_the_whole_text_on_hover(qtbot, window):
    window.go("activities")
    page = window.pages["activities"]
    page.year.setCurrentIndex(0)
    title_column = next(i for i, c in enumerate(page.model.columns) if c.sort_key == "title")
    texts = [page.model.data(page.model.index(r, title_column)) for r in range(page.model.rowCount())]
    long_row = next(r for r, t in enumerate(texts) if len(t) > 6)  # whichever activity the demo put first
    index = page.model.index(long_row, title_column)
    assert page.model.data(index, Qt.ItemDataRole.ToolTipRole) == page.model.data(index)
    short_row = next((r for r, t in enumerate(texts) if len(t) <= 6), None)
    if short_row is not None:  # a short text is shown whole: no tooltip repeating it
        assert page.model.data(page.model.index(short_row, title_column), Qt.ItemDataRole.ToolTipRole) is None
    header = page.table.horizontalHeader()
    # sized to their contents, none wider than 260 px; the name takes the width the others leave
    assert all(header.sectionSize(c) <= 260 for c in range(header.count()) if c != title_column)
    assert page.table.textElideMode() == Qt.TextElideMode.ElideRight


def test_save_as_goes_to_documents_with_the_period_and_says_where(qtbot, window, monkeypatch, tmp_path):
    from reportlab.pdfgen import canvas

    (Path.home() / "Documents").mkdir(exist_ok=True)  # as on every Windows account
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: pytest.fail(f"warning shown: {a[2]}"))
    pdf = tmp_path / "made.pdf"
    c = canvas.Canvas(str(pdf))
    c.drawString(100, 700, "x")
    c.save()
    asked = {}

    def fake_dialog(dialog):
        suggested = dialog.selectedFiles()[0]
        asked["suggested"] = Path(suggested)
        return [str(Path(suggested).with_suffix(""))]  # the person removed .pdf from the name

    monkeypatch.setattr(saving, "choose_files", fake_dialog)
    opened = []
    monkeypatch.setattr(saving.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    preview = PdfPreview(pdf, "活动台账-2026年11月", window)
    qtbot.addWidget(preview)
    saved = preview.save_as()
    assert saving.documents_dir() == Path.home() / "Documents"
    assert asked["suggested"] == saving.documents_dir() / "活动台账-2026年11月.pdf"
    assert saved == saving.documents_dir() / "活动台账-2026年11月.pdf" and saved.read_bytes() == pdf.read_bytes()
    box = preview.saved_message
    assert box.isVisible() and str(saved) in box.text() and "已保存到" in box.text()
    opener = next(b for b in box.buttons() if b.text() == "打开所在文件夹")
    qtbot.mouseClick(opener, Qt.MouseButton.LeftButton)
    assert opened == [str(saved.parent)]
    # Where the person saved last is where the next 另存为 opens.
    monkeypatch.setattr(saving, "documents_dir", lambda: tmp_path / "nowhere")
    preview.save_as()
    assert asked["suggested"].parent == saved.parent


def test_file_dialogs_are_chinese_and_open_in_documents_then_where_that_kind_was_last_chosen(qtbot, window, tmp_path):
    """Qt's own dialog (where the system has none) said “Look in:” and “Files of type:”, and the dialogs
    opened in whatever folder the program was started from."""
    documents = Path.home() / "Documents"
    documents.mkdir(exist_ok=True)
    certificates = tmp_path / "区里给的证书"
    certificates.mkdir()
    from test_sync_https import _authority

    ca = certificates / "ca.pem"  # a real root certificate: the 同步 page checks the file when it is picked (#27)
    ca.write_bytes(_authority(tmp_path / "made", "区里的根证书")[0].read_bytes())
    seen = []

    def look(choose: Path | None = None) -> None:
        def act(dialog):
            texts = [w.text() for w in dialog.findChildren(QLabel) + dialog.findChildren(QPushButton) if w.isVisible()]
            seen.append((Path(dialog.directory().absolutePath()), [t for t in texts if re.search("[A-Za-z]{2,}", t)]))
            if choose is None:
                dialog.reject()
            else:
                dialog.selectFile(str(choose))
                dialog.accept()

        when_modal(act, kind=QFileDialog)

    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    try:
        sync = window.page("sync")
        look(ca)
        sync.choose_ca()
        assert sync.ca_file.text() == str(ca)
        look()
        sync.choose_ca()  # a certificate again: where the last one was chosen
        look()
        window.page("settings").restore_from_file()  # another kind of file: still Documents
        look()
        when_modal(lambda box: qtbot.keyClick(box, Qt.Key.Key_Return), kind=QMessageBox)  # an admin: masked numbers
        window.page("volunteers").export_excel()  # a save dialog
    finally:
        QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, False)
    assert [folder for folder, _english in seen] == [documents, certificates, documents, documents]
    assert [english for _folder, english in seen] == [[]] * 4
    # remembered in the data dir's settings, for the next start of the program
    assert Settings(window.ctx.store.paths.settings).get("folder_certificate") == str(certificates)


def test_every_file_dialog_is_made_by_ui_saving():
    ui = Path(saving.__file__).parent
    assert [str(f.relative_to(ui)) for f in sorted(ui.rglob("*.py")) if f.name != "saving.py" and "QFileDialog" in f.read_text(encoding="utf-8")] == []


def test_a_file_kind_the_settings_do_not_know_is_refused_not_put_in_a_wrong_folder(qtbot):
    with pytest.raises(ValueError, match="unknown file kind"):
        saving.file_dialog(None, "nonsense", "导出", "Excel 文件 (*.xlsx)")


def test_a_fixed_field_error_goes_when_the_field_changes(qtbot, ctx):
    from app.models.enums import Role
    from app.services.context import Actor

    admin = Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))
    dialog = VolunteerDialog(admin)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.id_number, "11010519491231002X")
    type_text(qtbot, dialog.phone, "13812345678")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert dialog.errors["name"].isVisible() and "姓名" in dialog.errors["name"].text()
    type_text(qtbot, dialog.name, "张")
    assert not dialog.errors["name"].isVisible()
    dialog.id_number.clear()
    type_text(qtbot, dialog.id_number, "110105194912310021")  # a wrong check digit: the live check still says so
    assert "校验位" in dialog.id_hint.text() and dialog.id_hint.objectName() == "fieldError"


def test_the_same_activity_saved_twice_is_refused_and_an_overlap_names_the_day_and_who_drops_out(qtbot, window):
    """A new user's trial: a copy saved twice on one day with the same name asked 服务时段重叠, and 是 kept a second
    activity with no one in it (counted in the month's figures), the question naming neither the day nor the
    people who would drop out."""
    from app.services.errors import ValidationError

    ctx = window.ctx
    source = next(s.activity for s in activities.list_activities(ctx, limit=500) if s.participants >= 2 and s.activity.start_time)
    people = [p.volunteer.name for p in activities.participants_of(ctx, source.id)]
    seen: list[tuple[str, str]] = []
    before = activities.count_activities(ctx)

    def save_copy(title: str | None, answer) -> None:
        dialog = ActivityDialog(ctx, None, window, copy_of=source)
        qtbot.addWidget(dialog)
        dialog.date.setDate(source.date)  # the very day it was held: the same people, the same hours
        if title is not None:
            dialog.title_edit.setText(title)

        def answer_box(box) -> None:
            seen.append((box.windowTitle(), box.text()))
            box.button(answer).click()

        when_modal(answer_box, kind=QMessageBox)
        try:
            dialog.submit()
        except ValidationError as exc:
            seen.append(("refused", " ".join(exc.errors.values())))

    save_copy(None, QMessageBox.StandardButton.Ok)
    title, text = seen[0]
    assert title == "重复录入" and f"“{source.title}”已经记过" in text and "不能保存" in text
    assert seen[1][0] == "refused" and "重复录入" in seen[1][1]
    assert activities.count_activities(ctx) == before
    save_copy(source.title + "（下午场）", QMessageBox.StandardButton.Yes)  # another name: the clerk says both are true
    title, text = seen[2]
    assert title == "服务时段重叠" and text.startswith(format_date(source.date)) and "本活动将没有参与志愿者" in text
    assert all(name in text for name in people)
    assert activities.count_activities(ctx) == before + 1


def test_an_activity_dated_before_its_team_was_founded_asks_to_move_the_founding_back(qtbot, window):
    """A new user's trial: a team entered today, last week's activity recorded with it, saved without a word."""
    from app.services import teams

    ctx = window.ctx
    founded, held = date.today() - timedelta(days=1), date.today() - timedelta(days=6)
    team = teams.add_team(ctx, name="新建的护河队", category="卫生环保", founded_on=founded)
    seen: list[tuple[str, str]] = []

    def save(answer):
        dialog = ActivityDialog(ctx, None, window)
        qtbot.addWidget(dialog)
        dialog.title_edit.setText("河道清理")
        dialog.category.setCurrentText("卫生环保")
        dialog.team.setCurrentIndex(dialog.team.findData(team.id))
        dialog.date.setDate(held)

        def answer_box(box) -> None:
            seen.append((box.windowTitle(), box.text()))
            box.button(answer).click()

        when_modal(answer_box, kind=QMessageBox)
        return dialog.submit()

    save(QMessageBox.StandardButton.No)
    title, text = seen[0]
    assert title == "服务队成立日期晚于活动日期" and "“新建的护河队”的成立日期是" in text and format_date(held) in text
    assert teams.get_team(ctx, team.id).founded_on == founded  # 否: nothing moves
    save(QMessageBox.StandardButton.Yes)
    assert teams.get_team(ctx, team.id).founded_on == held and len(seen) == 2


def test_the_activity_list_says_its_hours_are_everyone_s_together(qtbot, window):
    """A new user's trial read the list's 时长 (5.5 for a 2-hour activity) as the activity's length."""
    window.go("activities")
    page = window.pages["activities"]
    page.year.setCurrentIndex(0)
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    column = headers.index("服务时长合计")
    row = next(i for i in range(page.model.rowCount()) if page.model.row(i).participants >= 2)
    summary = page.model.row(row)
    together = sum(p.participation.hours for p in activities.participants_of(window.ctx, summary.activity.id))
    assert page.model.data(page.model.index(row, column)) == f"{together:g}"


def test_a_stock_reduction_is_not_recorded_as_an_intake(qtbot, window):
    """A trial: 入库或盘点 with -3 kept the reason 入库; the default follows the sign, a reason typed stays."""
    from app.services import points
    from ui.dialogs.points import StockDialog

    goods = points.save_goods(window.ctx, name="测试毛巾", unit="条", price=5)
    stock = next(g for g in points.list_goods(window.ctx) if g.goods.id == goods.id)
    dialog = StockDialog(window.ctx, stock, window)
    qtbot.addWidget(dialog)
    dialog.quantity.setValue(-3)
    assert dialog.reason.text() == "盘点减少"
    dialog.quantity.setValue(5)
    assert dialog.reason.text() == "入库"
    dialog.reason.setText("村委会捐赠")
    dialog.quantity.setValue(-1)
    assert dialog.reason.text() == "村委会捐赠"


def test_a_new_records_form_is_titled_as_the_button_that_opened_it(qtbot, demo_store):
    """A trial: 新增活动 opened a form titled 记录活动 (and 新增志愿者 one titled 登记志愿者, 新增服务队 新建服务队):
    the clerk could not tell from the title that the click had done what they meant. The form for a new record
    is titled with its button's words; a copy says what it was copied from after them."""
    ctx = Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123"))
    window = MainWindow(ctx, Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    seen: dict[str, tuple[str, str]] = {}
    for key in ("activities", "volunteers", "teams", "projects", "demands"):
        window.go(key)
        page = window.page(key)
        button = page.new_button
        assert button.isVisible(), key

        def look(dialog, key=key, button=button):
            seen[key] = (button.text().rstrip("…"), dialog.windowTitle())
            dialog.reject()

        when_modal(look, kind=QDialog)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda key=key: key in seen, timeout=5000)
    assert [key for key, (words, title) in seen.items() if title != words] == [], seen
    window.idle.stop()
