"""The desktop program for a 所 or the 中心: the first-run wizard asks the tier first and words everything after
it for that tier; the window, the 工作台 and the profile page name the tier."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QGroupBox, QLabel

from app.services import operators
from app.services.context import Context
from app.services.station import get_station, init_station
from app.settings import Settings
from ui.dialogs.wizard import FirstRunWizard
from ui.main_window import MainWindow
from ui_helpers import screenshot, type_chinese, type_text


def start_wizard(qtbot, store, level: str) -> FirstRunWizard:
    wizard = FirstRunWizard(store)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.choice.level() == "station"
    wizard.choice.levels[level].click()
    screenshot(wizard, "wizard-choice")
    assert wizard.choice.level() == level
    wizard.next()
    assert wizard.currentId() == 1
    return wizard


def finish(qtbot, wizard: FirstRunWizard) -> None:
    wizard.next()
    assert wizard.currentId() == 2, wizard.station.error.text()
    wizard.admin.display.clear()  # it starts as the 负责人
    type_chinese(wizard.admin.display, "杨红霞")
    type_text(qtbot, wizard.admin.password, "secret1")
    type_text(qtbot, wizard.admin.password2, "secret1")
    with qtbot.waitSignal(wizard.finished, timeout=10_000):
        wizard.button(wizard.WizardButton.FinishButton).click()


def label_of(page, field) -> str:
    return page.form.labelForField(field).text()


def test_wizard_asks_the_tier_first_and_words_the_institute(qtbot, store):
    wizard = start_wizard(qtbot, store, "institute")
    page = wizard.station
    assert page.title() == "实践所信息" and "实践所信息" in page.subTitle()
    assert label_of(page, page.name) == "所名" and "新时代文明实践所" in page.name.placeholderText()
    assert page.form.isRowVisible(page.kind) and page.form.isRowVisible(page.street)
    assert [page.kind.itemText(i) for i in range(2)] == ["以农村为主", "以社区为主"]  # 四.8: lectures by the street's kind
    type_chinese(page.name, "艾山街道新时代文明实践所")
    page.kind.setCurrentIndex(1)
    wizard.next()
    assert wizard.currentId() == 1 and "所属街道" in page.error.text()  # a 所 is its street's (二.2)
    type_chinese(page.street, "艾山街道")
    assert not page.error.text()
    type_chinese(page.manager, "王所长")
    page.phone.setText("0531-76100000")
    screenshot(wizard, "wizard-institute")
    finish(qtbot, wizard)
    station = get_station(Context(store=store))
    assert (station.level, station.kind, station.street, station.name) == ("institute", "community", "艾山街道", "艾山街道新时代文明实践所")


def test_wizard_for_the_center_asks_no_kind_and_no_street(qtbot, store):
    wizard = start_wizard(qtbot, store, "center")
    page = wizard.station
    assert page.title() == "实践中心信息" and label_of(page, page.name) == "中心名称"
    assert not page.form.isRowVisible(page.kind) and not page.form.isRowVisible(page.street)
    assert label_of(page, page.population) == "全区常住人口"
    wizard.next()
    assert wizard.currentId() == 1 and "请填写中心名称" in page.error.text()
    type_chinese(page.name, "钢城区新时代文明实践中心")
    type_chinese(page.manager, "李主任")
    page.phone.setText("0531-76200000")
    screenshot(wizard, "wizard-center")
    finish(qtbot, wizard)
    station = get_station(Context(store=store))
    assert (station.level, station.kind, station.street) == ("center", "", "")


def test_going_back_from_institute_to_station_words_the_page_again(qtbot, store):
    wizard = start_wizard(qtbot, store, "institute")
    wizard.back()
    wizard.choice.levels["station"].click()
    wizard.next()
    page = wizard.station
    assert page.title() == "实践站信息" and label_of(page, page.name) == "站名"
    assert [page.kind.itemText(i) for i in range(2)] == ["村", "社区"]
    screenshot(wizard, "wizard-station")


@pytest.fixture
def open_window(qtbot, store):
    windows = []

    def make(level: str, name: str, **profile) -> MainWindow:
        init_station(store, name=name, level=level, **profile)
        operators.create_first_admin(store, username="admin", display_name="杨红霞", password="secret1")
        actor = operators.authenticate(store, "admin", "secret1")
        win = MainWindow(Context(store=store, actor=actor), Settings(store.paths.settings))
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.pages["dashboard"].loaded, timeout=20_000)
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.idle.stop()


def labels(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def test_the_institute_window_names_its_tier(qtbot, open_window):
    win = open_window("institute", "艾山街道新时代文明实践所", kind="village", street="艾山街道")
    assert win.windowTitle() == "艾山街道新时代文明实践所 — 实践所台账"
    nav = [win.nav.item(i).text() for i in range(win.nav.count())]
    assert "实践所信息" in nav and "站点信息" not in nav
    dashboard = labels(win.pages["dashboard"])
    assert "按实践所的要求" in dashboard and "实践所5支以上队伍，每支每年不少于12次" in dashboard
    assert "每月至少开展1次" not in dashboard  # 三.2 asks that of a station's teams only
    assert "每所5支以上" in win.pages["dashboard"].warning.text()  # no teams yet
    assert "本站" not in win.sync_action.toolTip() and "本所" in win.sync_action.toolTip()
    screenshot(win, "dashboard-institute")
    win.go("station")
    page = win.pages["station"]
    text = labels(page)
    assert "实践所名称" in text and "站点名称" not in text
    assert "实践所概况" in [box.title() for box in page.findChildren(QGroupBox)]
    screenshot(win, "window-institute")


def test_the_center_window_hides_kind_and_street(qtbot, open_window):
    win = open_window("center", "钢城区新时代文明实践中心")
    assert win.windowTitle() == "钢城区新时代文明实践中心 — 实践中心台账"
    assert "实践中心17类队伍" in labels(win.pages["dashboard"])
    win.go("station")
    page = win.pages["station"]
    assert not page.rows["kind"].isVisibleTo(page) and not page.rows["street"].isVisibleTo(page)
    assert "专职工作人员" in labels(page)
    page.inputs["manager"].setText("甲、乙、丙、丁、戊")
    page.save()
    station = get_station(win.ctx)
    assert (station.manager, station.kind, station.street) == ("甲、乙、丙、丁、戊", "", "")
