"""First run: create the station and its first admin, or open a demo station."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QLineEdit, QMessageBox, QRadioButton, QSpinBox, QVBoxLayout, QWizard, QWizardPage,
)

from app.db import Store
from app.settings import Settings
from app.demo import build_demo
from app.services import operators
from app.services.errors import ServiceError, ValidationError
from app.services.station import init_station
from app.models.limits import int_range

from ..forms import ErrorLabel
from ..workers import run_in_background
from ..lifetime import ClosedByQt

CHOICE, STATION, ADMIN = range(3)


class ChoicePage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle(self.tr("欢迎使用实践站台账"))
        self.setSubTitle(self.tr("第一次使用，请选择："))
        self.new = QRadioButton(self.tr("建立本站台账（正式使用）"))
        self.demo = QRadioButton(self.tr("打开示范站（先看看程序怎么用，数据是虚构的）"))
        self.new.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.new)
        layout.addWidget(self.demo)

    def nextId(self) -> int:  # noqa: N802
        return ADMIN if self.demo.isChecked() else STATION


class StationPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle(self.tr("实践站信息"))
        self.setSubTitle(self.tr("以后可以在“站点信息”页修改和补充。"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("如：艾山街道杨家庄村新时代文明实践站"))
        self.kind = QComboBox()
        self.kind.addItem(self.tr("村"), "village")
        self.kind.addItem(self.tr("社区"), "community")
        self.street = QLineEdit()
        self.population = QSpinBox()
        self.population.setRange(0, int_range("station", "population")[1])  # 0: not given
        self.population.setSpecialValueText(self.tr("暂不填写"))
        self.error = ErrorLabel()
        form = QFormLayout(self)
        form.addRow(self.tr("站点名称"), self.name)
        form.addRow(self.tr("类型"), self.kind)
        form.addRow(self.tr("所属街道（功能区）"), self.street)
        form.addRow(self.tr("常住人口"), self.population)
        form.addRow("", self.error)

    def validatePage(self) -> bool:  # noqa: N802
        if not self.name.text().strip():
            self.error.show_message(self.tr("请填写站点名称"))
            return False
        return True

    def nextId(self) -> int:  # noqa: N802
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

    def validatePage(self) -> bool:  # noqa: N802
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

    def nextId(self) -> int:  # noqa: N802
        return -1


class FirstRunWizard(ClosedByQt, QWizard):
    def __init__(self, store: Store, parent=None):
        super().__init__(parent)
        self.store = store
        self.result_store = store  # the demo's own store when the person chose to try the demo
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
            self.admin.setSubTitle(self.tr("为“{0}”设置管理员账号。管理员可以管理操作员、查看完整身份证号。请牢记密码。")
                                   .format(get_station(Context(store=store)).name))
        self.resize(560, 420)

    def accept(self) -> None:
        store, demo = self.store, self.choice.demo.isChecked()
        name, kind = self.station.name.text(), self.station.kind.currentData()
        street, population = self.station.street.text(), self.station.population.value() or None
        admin = dict(username=self.admin.username.text(), display_name=self.admin.display.text(), password=self.admin.password.text())

        def work(task) -> None:
            target = store
            if demo:  # in its own folder, so the real data folder never holds a made-up station
                target = Store.open(store.paths.demo)
                Settings(target.paths.settings).set("is_demo", True)
                if target.station_id is None:
                    build_demo(target, years=1, progress=lambda text: task.report(0, 0, text))
            elif store.station_id is None:
                init_station(store, name=name, kind=kind, street=street, population=population)
            if not operators.has_operators(target):
                operators.create_first_admin(target, **admin)
            Settings(store.paths.settings).set("demo_open", demo)
            self.result_store = target

        def failed(exc: BaseException, _details: str) -> None:
            message = "；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
            if not isinstance(exc, ServiceError):
                message = self.tr("创建失败：{0}").format(exc)
            QMessageBox.warning(self, self.tr("无法完成"), message)

        run_in_background(self, work, lambda _r: QWizard.accept(self), failed,
                          title=self.tr("正在准备"), label=self.tr("正在建立台账…"), cancellable=False)
