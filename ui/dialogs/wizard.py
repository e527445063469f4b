"""First run: create the station and its first admin, or open a demo station."""

from __future__ import annotations

import weakref

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QLabel, QLineEdit, QMessageBox, QRadioButton, QSpinBox, QVBoxLayout, QWizard, QWizardPage,
)

from app.db import Store
from app.settings import Settings
from app.demo import DEMO_ADMIN, DEMO_PASSWORD, build_demo, make_demo_login
from app.services import operators
from app.services.errors import ServiceError, ValidationError
from app.services.common import FieldErrors
from app.services.station import _station_values, init_station
from app.models.enums import StationLevel
from app.models.limits import int_range

from ..forms import ErrorLabel
from ..workers import run_in_background
from ..lifetime import ClosedByQt

CHOICE, STATION, ADMIN = range(3)


class ChoicePage(QWizardPage):
    """The first question: which tier's ledger this PC keeps (二.1–二.3), or a look at the demo station."""

    def __init__(self):
        super().__init__()
        self.setTitle(self.tr("欢迎使用实践站台账"))
        self.setSubTitle(self.tr("第一次使用，请选择这台电脑上建立哪一级的台账："))
        self.levels = {
            StationLevel.station: QRadioButton(self.tr("村（社区）新时代文明实践站 — 建立本站台账")),
            StationLevel.institute: QRadioButton(self.tr("街道（功能区）新时代文明实践所 — 建立本所台账")),
            StationLevel.center: QRadioButton(self.tr("区新时代文明实践中心 — 建立中心台账")),
        }
        self.demo = QRadioButton(self.tr("打开示范站（先看看程序怎么用，数据是虚构的）"))
        self.demo_note = QLabel(self.tr("点“完成”即打开示范站，不用设置账号。以后再打开示范站，登录名 {0}，密码 {1}。")
                                .format(DEMO_ADMIN, DEMO_PASSWORD))
        self.demo_note.setWordWrap(True)
        self.demo_note.setVisible(False)
        self.demo.toggled.connect(self.demo_note.setVisible)
        # 完成 here for the demo: setFinalPage makes the wizard redraw its buttons. Through a weak reference, never a
        # bound method of the page held by its own child (a reference cycle the collector may break at any moment,
        # in the middle of Qt's own deletion: ui/lifetime.py rule 2).
        page = weakref.ref(self)
        self.demo.toggled.connect(lambda checked: (p := page()) is not None and p.setFinalPage(checked))
        self.levels[StationLevel.station].setChecked(True)
        layout = QVBoxLayout(self)
        for button in self.levels.values():
            layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("或者：")))
        layout.addWidget(self.demo)
        layout.addWidget(self.demo_note)
        layout.addStretch()

    def level(self) -> StationLevel | None:
        """The tier chosen; None for the demo."""
        return next((level for level, button in self.levels.items() if button.isChecked()), None)

    def nextId(self) -> int:
        # The demo is made-up data with a login of its own (app/demo.py): nothing more to ask.
        return -1 if self.demo.isChecked() else STATION


# What the station page asks, in the chosen tier's words.
NAME_LABELS = {StationLevel.station: "站名", StationLevel.institute: "所名", StationLevel.center: "中心名称"}
NAME_EXAMPLES = {StationLevel.station: "如：艾山街道杨家庄村新时代文明实践站", StationLevel.institute: "如：艾山街道新时代文明实践所",
                 StationLevel.center: "如：钢城区新时代文明实践中心"}


class StationPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.tier = StationLevel.station
        self.name = QLineEdit()
        self.kind = QComboBox()
        self.kind.addItem(self.tr("村"), "village")
        self.kind.addItem(self.tr("社区"), "community")
        self.street = QLineEdit()
        self.street.setPlaceholderText(self.tr("如：艾山街道"))
        self.population = QSpinBox()
        self.population.setRange(0, int_range("station", "population")[1])  # 0: not given
        self.population.setSpecialValueText(self.tr("暂不填写"))
        # Printed on every 志愿服务记录证明 as its 负责人 and contact (民发〔2015〕149号): asked now, not left blank.
        self.manager = QLineEdit()
        self.manager.setPlaceholderText(self.tr("在证明上签字的负责人，如专管员"))
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(self.tr("志愿服务电话，印在证明和台账上"))
        self.error = ErrorLabel()
        self.form = form = QFormLayout(self)
        form.addRow(self.tr("站名"), self.name)
        form.addRow(self.tr("类型"), self.kind)
        form.addRow(self.tr("所属街道（功能区）"), self.street)
        form.addRow(self.tr("常住人口"), self.population)
        form.addRow(self.tr("负责人（专管员）"), self.manager)
        form.addRow(self.tr("联系电话"), self.phone)
        form.addRow("", self.error)
        for line in (self.name, self.street):
            line.textChanged.connect(lambda _text: self.error.show_message(None))  # what it asked for is being given
        self.set_tier(StationLevel.station)

    def set_tier(self, tier: StationLevel) -> None:
        """Word the page for a station, a 所 or the center: its name, and only what that tier has."""
        self.tier = tier
        self.setTitle(self.tr("{0}信息").format(tier.unit))
        self.setSubTitle(self.tr("以后可以在“{0}”页修改和补充。").format(tier.info_page))
        self.form.labelForField(self.name).setText(self.tr(NAME_LABELS[tier]))
        self.name.setPlaceholderText(self.tr(NAME_EXAMPLES[tier]))
        # 四.8: a 所 counts lectures by whether its street is mostly villages or communities.
        self.kind.setItemText(0, self.tr("以农村为主") if tier is StationLevel.institute else self.tr("村"))
        self.kind.setItemText(1, self.tr("以社区为主") if tier is StationLevel.institute else self.tr("社区"))
        self.form.setRowVisible(self.kind, tier.has_kind)
        self.form.setRowVisible(self.street, tier.has_street)
        self.form.labelForField(self.population).setText(self.tr("全区常住人口") if tier is StationLevel.center else self.tr("常住人口"))
        self.error.show_message(None)

    def initializePage(self) -> None:
        self.set_tier(self.wizard().choice.level() or StationLevel.station)

    def validatePage(self) -> bool:
        if not self.name.text().strip():
            self.error.show_message(self.tr("请填写{0}").format(self.tr(NAME_LABELS[self.tier])))
            return False
        if self.tier.has_street and not self.street.text().strip():
            self.error.show_message(self.tr("请填写所属街道（功能区）"))
            return False
        if not self.manager.text().strip():
            self.error.show_message(self.tr("请填写负责人：志愿服务记录证明上要由负责人签字"))
            return False
        if not self.phone.text().strip():
            self.error.show_message(self.tr("请填写联系电话：印在志愿服务记录证明上，供核验"))
            return False
        # Everything else the station record checks (a phone that is not one, a name too long), said here on
        # this page rather than as a box on the last one.
        errors = FieldErrors()
        values = {"name": self.name.text(), "manager": self.manager.text(), "phone": self.phone.text()}
        if self.tier.has_street:
            values["street"] = self.street.text()
        _station_values(values, errors, level=self.tier.value)
        if errors.errors:
            self.error.show_message(next(iter(errors.errors.values())))
            return False
        return True

    def nextId(self) -> int:
        return ADMIN


class AdminPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle(self.tr("管理员账号"))
        self.setSubTitle(self.tr("管理员可以管理操作员、查看完整身份证号。请牢记密码。"))
        self.username = QLineEdit("admin")
        self.display = QLineEdit()
        self.display.setPlaceholderText(self.tr("专管员姓名"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = ErrorLabel()
        form = QFormLayout(self)
        form.addRow(self.tr("登录名"), self.username)
        form.addRow(self.tr("姓名"), self.display)
        form.addRow(self.tr("密码（至少6位）"), self.password)
        form.addRow(self.tr("再次输入密码"), self.password2)
        form.addRow("", self.error)
        self.prefilled = ""  # the 负责人 put in 姓名, while the person has not typed a name of their own

    def initializePage(self) -> None:
        """姓名 starts as the 负责人 the station page took: the 专管员 is usually both (a new user's trial)."""
        wizard = self.wizard()
        manager = wizard.station.manager.text().strip() if isinstance(wizard, FirstRunWizard) else ""
        self.offer_name(manager)

    def offer_name(self, name: str) -> None:
        if name and self.display.text().strip() in ("", self.prefilled):
            self.display.setText(name)
            self.prefilled = name

    def validatePage(self) -> bool:
        if self.password.text() != self.password2.text():
            self.error.show_message(self.tr("两次输入的密码不一致"))
            return False
        if not self.display.text().strip():
            self.error.show_message(self.tr("请填写姓名"))
            return False
        if len(self.password.text()) < operators.MIN_PASSWORD:
            self.error.show_message(self.tr("密码至少6位"))
            return False
        return True

    def nextId(self) -> int:
        return -1


class FirstRunWizard(ClosedByQt, QWizard):
    def __init__(self, store: Store, parent=None):
        super().__init__(parent)
        self.store = store
        self.result_store = store  # the demo's own store when the person chose to try the demo
        self.actor = None  # who is logged in once it is done: the admin just made (or the demo's), so no login box follows
        self.setWindowTitle(self.tr("首次使用"))
        self.choice, self.station, self.admin = ChoicePage(), StationPage(), AdminPage()
        self.setPage(CHOICE, self.choice)
        self.setPage(STATION, self.station)
        self.setPage(ADMIN, self.admin)
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("完成"))
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("下一步"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("上一步"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("取消"))
        if store.station_id is not None:
            # The station exists already (set up with `station init`, or a demo made by the command line):
            # only its admin is missing, so the wizard asks for nothing it would not use.
            from app.services.context import Context
            from app.services.station import get_station

            self.setStartId(ADMIN)
            station = get_station(Context(store=store))
            self.admin.setSubTitle(self.tr("为“{0}”设置管理员账号。管理员可以管理操作员、查看完整身份证号。请牢记密码。")
                                   .format(station.name))
            self.station.manager.setText(station.manager)  # what 姓名 starts as (AdminPage.initializePage)
        self.resize(560, 420)

    def accept(self) -> None:
        # 完成 on the last page: its checks first (QWizard.accept would run them only after the work below — a new
        # admin with two different passwords was saved with the first one, and then could not log in).
        if not self.currentPage().validatePage():
            return
        store, demo, tier = self.store, self.choice.demo.isChecked(), self.station.tier
        name, kind = self.station.name.text(), self.station.kind.currentData() if tier.has_kind else ""
        street, population = self.station.street.text() if tier.has_street else "", self.station.population.value() or None
        manager, phone = self.station.manager.text(), self.station.phone.text()
        admin = dict(username=self.admin.username.text(), display_name=self.admin.display.text(), password=self.admin.password.text())

        def work(task):
            target = store
            if demo:  # in its own folder, so the real data folder never holds a made-up station
                target = Store.open(store.paths.demo)
                if target.station_id is None:
                    build_demo(target, years=1, progress=lambda text: task.report(0, 0, text))
                make_demo_login(target)  # its known login, unless a demo made earlier has its own
                username, password = DEMO_ADMIN, DEMO_PASSWORD
            else:
                if store.station_id is None:
                    init_station(store, name=name, level=tier.value, kind=kind, street=street, population=population,
                                 manager=manager, phone=phone)
                if not operators.has_operators(target):
                    operators.create_first_admin(target, **admin)
                username, password = admin["username"], admin["password"]
            Settings(store.paths.settings).set("demo_open", demo)
            self.result_store = target
            try:
                return operators.authenticate(target, username, password)
            except ServiceError:  # a demo made earlier with a login of its own: the login box asks for it
                return None

        def failed(exc: BaseException, _details: str) -> None:
            message = "；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
            if not isinstance(exc, ServiceError):
                message = self.tr("创建失败：{0}").format(exc)
            QMessageBox.warning(self, self.tr("无法完成"), message)

        def done(actor) -> None:
            self.actor = actor
            QWizard.accept(self)

        run_in_background(self, work, done, failed,
                          title=self.tr("正在准备"), label=self.tr("正在建立台账…"), cancellable=False)
