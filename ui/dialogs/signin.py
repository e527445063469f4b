"""开始签到: the QR code phones scan, the arrivals as they come, and 确认签到结果 — the clerk stays in charge."""

from __future__ import annotations

import io

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QSpinBox, QTableWidget, QVBoxLayout,
)

from signin import server as signin
from app.services.errors import ValidationError

from ..forms import ErrorLabel
from ..tables import fill_table, read_only_table
from ..workers import run_in_background
from ..lifetime import ClosedByQt


def qr_pixmap(text: str, size: int = 240) -> QPixmap:
    import segno

    code = segno.make(text, error="m")
    modules = code.symbol_size(scale=1, border=2)[0]
    buffer = io.BytesIO()
    # A whole number of pixels per module: scaled by Qt, modules come out uneven and cheap phones misread them.
    code.save(buffer, kind="png", scale=max(1, size // modules), border=2)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


class SigninDialog(ClosedByQt, QDialog):
    """Modeless: the clerk can go on working while phones sign in. Closing it (or the program) stops the server."""

    confirmed = Signal()

    def __init__(self, ctx, activity_id: str, parent=None):
        super().__init__(parent)
        self.setObjectName("signinDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # modeless: Qt deletes it when closed (ui/lifetime.py)
        self.ctx = ctx
        self.activity = signin.activity_of(ctx.store, activity_id)
        self.server: signin.SigninServer | None = None
        self.book = signin.SigninBook(ctx.store.paths.root)
        self.setWindowTitle(self.tr("手机签到：{0}").format(self.activity.title))
        self.address = QComboBox()
        self.find_addresses()
        self.rescan_button = QPushButton(self.tr("重新查找"))
        self.rescan_button.setToolTip(self.tr("刚连上 Wi-Fi 或打开移动热点后，点这里找到新的地址"))
        self.rescan_button.clicked.connect(self.find_addresses)
        self.address.setToolTip(self.tr("手机要与本机连在同一个网络（同一个 Wi-Fi），选手机能访问到的地址"))
        self.start_button = QPushButton(self.tr("开始签到"))
        self.start_button.setObjectName("primary")
        self.stop_button = QPushButton(self.tr("结束签到"))
        self.stop_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("本机地址")))
        top.addWidget(self.address, 1)
        top.addWidget(self.rescan_button)
        top.addWidget(self.start_button)
        top.addWidget(self.stop_button)
        self.qr = QLabel()
        self.qr.setFixedSize(240, 240)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setStyleSheet("background:#fff;border:1px solid #ccc")
        self.url = QLabel(self.tr("点“开始签到”后，这里显示二维码和网址"))
        self.url.setWordWrap(True)
        self.url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url.setStyleSheet("font-size:22px;font-weight:bold")  # read aloud or typed from across the room
        self.hint = QLabel(self.tr("志愿者用手机扫码，填姓名和手机号后4位签到、签退；新来的填写姓名、手机号和身份证号，由您确认后登记。"
                                   "确认之前，签到情况不会记入台账。\n没有 Wi-Fi 时，可在 Windows 设置 → 网络 → 移动热点 中打开热点，让手机连接本机。"))
        self.hint.setWordWrap(True)
        middle = QHBoxLayout()
        middle.addWidget(self.qr)
        side = QVBoxLayout()
        side.addWidget(self.url)
        side.addWidget(self.hint)
        side.addStretch(1)
        middle.addLayout(side, 1)
        self.table: QTableWidget = read_only_table([self.tr("姓名"), self.tr("类型"), self.tr("签到"), self.tr("签退"), self.tr("时长（小时）")],
                                                   stretch=0)
        self.count = QLabel()
        self.per_phone = QSpinBox()
        self.per_phone.setRange(1, 20)
        self.per_phone.setValue(signin.PER_PHONE)
        self.per_phone.setSuffix(self.tr(" 人"))
        self.per_phone.setToolTip(self.tr("一部手机可以为几个人签到。默认 1 人：防止一部手机替所有人签到；"
                                          "一家人共用一部手机时可临时放宽"))
        self.per_phone.valueChanged.connect(self.set_per_phone)
        self.approve_button = QPushButton(self.tr("批准所选的新来者"))
        self.approve_button.setToolTip(self.tr("同时来了许多新人时，第 {0} 位以后的要您核实后批准，才会记入").format(signin.ARRIVALS_UNHELD + 1))
        self.reject_button = QPushButton(self.tr("不记入所选的人"))
        self.confirm_button = QPushButton(self.tr("确认签到结果"))
        self.confirm_button.setObjectName("primary")
        self.close_button = QPushButton(self.tr("关闭"))
        self.error = ErrorLabel()
        # 扫码签到: a USB barcode scanner types the 志愿者证's code and Enter here (#26): once signs in, again signs out.
        self.scan = QLineEdit()
        self.scan.setPlaceholderText(self.tr("扫码签到：点这里后扫志愿者证"))
        self.scan.setToolTip(self.tr("用扫码枪扫志愿者证上的二维码：扫一次签到，离开时再扫一次签退"))
        self.scan.returnPressed.connect(self.take_scan)
        self.scan_result = QLabel()
        phones = QHBoxLayout()
        phones.addWidget(self.scan, 2)
        phones.addWidget(self.scan_result, 1)
        phones.addWidget(QLabel(self.tr("每部手机可签到")))
        phones.addWidget(self.per_phone)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.approve_button)
        bottom.addWidget(self.reject_button)
        bottom.addWidget(self.confirm_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addLayout(phones)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(bottom)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.reject_button.clicked.connect(self.reject_selected)
        self.approve_button.clicked.connect(self.approve_selected)
        self.confirm_button.clicked.connect(self.confirm)
        self.close_button.clicked.connect(self.close)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(2000)
        self.entries: list[signin.Entry] = []
        self.session_id = ""
        latest = self.book.latest_session(activity_id)  # an unconfirmed list from before goes on
        if latest is not None:
            self.session_id = latest["id"]
            self.per_phone.setValue(latest["per_phone"])  # as the clerk left it
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)  # never left listening after the program ends
        self.resize(760, 620)
        self.refresh()

    # -- serving ----------------------------------------------------------------------------------
    def find_addresses(self) -> None:
        current = self.address.currentData()
        self.address.clear()
        for address in signin.lan_addresses():
            self.address.addItem(address if address != "127.0.0.1" else self.tr("127.0.0.1（仅本机，用于试用）"), address)
        if current is not None and self.address.findData(current) >= 0:
            self.address.setCurrentIndex(self.address.findData(current))

    def start(self) -> None:
        self.error.show_message(None)
        try:
            self.server = signin.SigninServer(self.ctx.store, self.activity.id, self.address.currentData())
            url = self.server.start()
        except signin.SigninError as exc:
            self.server = None
            self.error.show_message(str(exc))
            return
        self.session_id = self.server.session_id
        self.set_per_phone(self.per_phone.value())
        self.qr.setPixmap(qr_pixmap(url))
        self.url.setText(url)
        self.start_button.setEnabled(False)
        self.address.setEnabled(False)
        self.rescan_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.refresh()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.qr.clear()
        self.url.setText(self.tr("签到已结束，手机上的链接已失效。核对名单后点“确认签到结果”。"))
        self.start_button.setEnabled(True)
        self.address.setEnabled(True)
        self.rescan_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    # -- the list ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.entries = self.book.entries(self.session_id) if self.session_id else []
        fill_table(self.table, [signin.describe(e, self.activity) for e in self.entries])
        live = [e for e in self.entries if e.status == "pending"]
        arrivals = sum(1 for e in live if e.kind == "arrival")
        held = sum(1 for e in self.entries if e.status == "held")
        text = self.tr("已签到 {0} 人，其中新来的 {1} 人待确认登记").format(len(live), arrivals)
        if held:
            text += self.tr("；另有 {0} 位新来者待您批准").format(held)
        self.count.setText(text)
        self.confirm_button.setEnabled(bool(live))
        self.approve_button.setVisible(bool(held))

    def take_scan(self) -> None:
        from datetime import datetime

        text = self.scan.text()
        self.scan.clear()  # ready for the next card at once
        if not text.strip():
            return
        if not self.session_id:  # no phones needed: a list of its own for this activity
            self.session_id, _token = self.book.open_session(self.activity.id, "scanner", datetime.now())
            self.book.stop(self.session_id, datetime.now())  # no link is served from it
            self.set_per_phone(self.per_phone.value())
        service = signin.SigninService(self.ctx.store, self.book, self.session_id, self.activity.id, datetime.now)
        try:
            message = service.scan(text)
            self.scan_result.setStyleSheet("color:#2e7d32;font-weight:bold")
        except signin.Refused as exc:
            message = str(exc)
            self.scan_result.setStyleSheet("color:#c62828;font-weight:bold")
        self.scan_result.setText(message)
        self.refresh()

    def set_per_phone(self, people: int) -> None:
        if self.session_id:
            self.book.set_per_phone(self.session_id, people)

    def _selected_entries(self) -> list:
        return [self.entries[row] for row in sorted({i.row() for i in self.table.selectedIndexes()}) if row < len(self.entries)]

    def reject_selected(self) -> None:
        for entry in self._selected_entries():
            self.book.set_status(entry.id, "rejected")
        self.refresh()

    def approve_selected(self) -> None:
        for entry in self._selected_entries():
            if entry.status == "held":
                self.book.set_status(entry.id, "pending")
        self.refresh()

    def confirm(self) -> None:
        from datetime import datetime

        self.error.show_message(None)
        end = self.activity.end_time
        if self.server is not None and (end is None or datetime.now() >= datetime.combine(self.activity.date, end)):
            self.stop()  # over: the links stop; before the end, people still serving can sign out afterwards
        ctx, session_id = self.ctx, self.session_id

        def done(result: signin.ConfirmResult) -> None:
            self.refresh()
            text = self.tr("已记入本次活动：参与志愿者 {0} 人，照片 {1} 张；新登记志愿者 {2} 人。").format(
                result.participants, result.photos, result.registered)
            if result.marked_done:
                text += "\n" + self.tr("这次活动原为“计划”，已记为“已开展”。")
            if result.skipped:
                text += "\n" + self.tr("未记入：") + "；".join(result.skipped)
            if result.waiting:
                text += "\n" + self.tr("尚未签退、活动也未结束，服务时间未满，暂不记入（签退或活动结束后再点“确认签到结果”）：") \
                    + "；".join(result.waiting)
            if result.held:
                text += "\n" + self.tr("另有 {0} 位新来者待您批准后再确认。").format(result.held)
            if not result.waiting and not result.held:
                self.session_id = ""  # the list is closed, and so is the link: the QR code goes with it
                self.stop()
            self.confirmed.emit()
            self.result_box = QMessageBox(QMessageBox.Icon.Information, self.tr("签到结果已确认"), text, parent=self)
            self.result_box.open()

        def failed(exc: BaseException, _details: str) -> None:
            message = "；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
            self.error.show_message(self.tr("没有记入台账：{0}").format(message))

        run_in_background(self, lambda task: signin.confirm(ctx, session_id), done, failed,
                          title=self.tr("正在记入台账"), cancellable=False)

    def closeEvent(self, event) -> None:
        self.stop()
        self.timer.stop()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.stop()
        self.timer.stop()
        super().done(result)
