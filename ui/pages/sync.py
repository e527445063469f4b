"""同步: enroll once, then one click pushes everything to the district, with progress, 取消 and history."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout, QMessageBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QTabWidget,
    QVBoxLayout,
)
from sqlmodel import select

from app.settings import Settings

from app import outbox
from app.models import Announcement
from app.services.station import tier_of
from app.services.common import format_moment
from sync.client import (SyncCancelled, SyncClient, SyncError, address_problem, certificate_summary, check_certificate,
                         history, keep_certificate, load_state, save_state)

from ..forms import ErrorLabel
from ..saving import ask_open_path
from ..tables import fill_table, read_only_table
from ..workers import run_in_background
from .base import Page

STATUS_LABELS = {"ok": "成功", "failed": "未完成", "cancelled": "已取消", "running": "进行中"}


def _local(dt) -> str:
    return format_moment(dt) if dt else "—"


class SyncPage(Page):
    title = "同步"
    finished = Signal(bool)  # True when a sync completed

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.task = None
        self.own = tier_of(ctx).own  # 本站 / 本所 / 本中心
        # -- enrollment ----------------------------------------------------------
        self.enroll_box = QGroupBox(self.tr("在区里登记{own}（只需一次）").format(own=self.own))
        form = QFormLayout(self.enroll_box)
        self.server = QLineEdit()
        self.server.setPlaceholderText(self.tr("区文明实践中心提供的地址，如 https://wmsj.gangcheng.gov.cn"))
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("8位登记码"))
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText(self.tr("（可不填）区里提供的根证书文件"))
        choose = QPushButton(self.tr("选择…"))
        choose.clicked.connect(self.choose_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(choose)
        self.enroll_button = QPushButton(self.tr("登记"))
        self.enroll_button.setObjectName("primary")
        self.enroll_error = ErrorLabel()
        code_row = QHBoxLayout()  # 登记 beside the last field: a row less (the page fits a 1920×1080 screen at 150 %)
        code_row.addWidget(self.code, 1)
        code_row.addWidget(self.enroll_button)
        form.addRow(self.tr("服务器地址"), self.server)
        form.addRow(self.tr("证书"), ca_row)
        form.addRow(self.tr("登记码"), code_row)
        form.addRow("", self.enroll_error)
        self.enroll_button.clicked.connect(self.enroll)
        # -- status and the big button --------------------------------------------
        self.status_box = QGroupBox(self.tr("同步状态"))
        grid = QFormLayout(self.status_box)
        self.server_label, self.account_label, self.last_label, self.waiting_label = QLabel(), QLabel(), QLabel(), QLabel()
        # (the server's row is added below, with the district's certificate on it)
        grid.addRow(self.tr("{own}在区里的名称").format(own=self.own), self.account_label)
        grid.addRow(self.tr("最近成功同步"), self.last_label)
        # The district's root certificate, kept in the data folder; changeable after enrolment (#27).
        self.certificate_label = QLabel()
        self.certificate_label.setWordWrap(True)
        self.change_certificate = QPushButton(self.tr("更换证书…"))
        self.change_certificate.clicked.connect(self.choose_new_certificate)
        # One row for the server and the certificate it is checked with: a row of its own made the page too tall
        # for 1280×688. A refusal of 更换证书 shows right under it, not under the sync's progress (trial, #27).
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_label, 1)
        server_row.addWidget(QLabel(self.tr("根证书：")))
        server_row.addWidget(self.certificate_label, 1)
        server_row.addWidget(self.change_certificate)
        server_cell = QVBoxLayout()
        server_cell.setSpacing(2)
        server_cell.addLayout(server_row)
        self.certificate_error = ErrorLabel()
        server_cell.addWidget(self.certificate_error)
        grid.insertRow(0, self.tr("区级服务器"), server_cell)
        grid.addRow(self.tr("等待同步的变更"), self.waiting_label)
        self.sync_button = QPushButton(self.tr("立即同步"))
        self.sync_button.setObjectName("primary")
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress_text = QLabel()
        self.error = ErrorLabel()
        self.auto = QSpinBox()
        self.auto.setRange(0, 720)
        self.auto.setSpecialValueText(self.tr("不自动同步"))
        self.auto.setSuffix(self.tr(" 分钟"))
        self.auto.setPrefix(self.tr("每 "))
        buttons = QHBoxLayout()
        for w in (self.sync_button, self.cancel_button, self.progress):
            buttons.addWidget(w)
        grid.addRow("", buttons)
        grid.addRow("", self.progress_text)
        grid.addRow("", self.error)
        grid.addRow(self.tr("程序打开时自动同步"), self.auto)
        self.sync_button.clicked.connect(self.start_sync)
        self.cancel_button.clicked.connect(self.cancel_sync)
        self.auto.valueChanged.connect(self.on_auto_changed)
        # -- no network: the same sync carried on a USB stick ------------------------
        self.stick_box = QGroupBox(self.tr("没有网络时：用U盘同步"))
        stick = QHBoxLayout(self.stick_box)
        self.stick_hint = QLabel()
        self.stick_hint.setWordWrap(True)
        self.export_button = QPushButton(self.tr("导出同步包…"))
        self.reply_button = QPushButton(self.tr("导入回执…"))
        stick.addWidget(self.stick_hint, 1)
        stick.addWidget(self.export_button)
        stick.addWidget(self.reply_button)
        self.export_button.clicked.connect(self.export_package)
        self.reply_button.clicked.connect(self.import_reply)
        # -- history, rejected rows, district notices -----------------------------
        self.history = read_only_table([self.tr("开始时间"), self.tr("结果"), self.tr("上传"), self.tr("被拒"), self.tr("收到"), self.tr("说明")])
        self.rejected = read_only_table([self.tr("类型"), self.tr("名称"), self.tr("区里的说明"), self.tr("修改时间")])
        self.notices = read_only_table([self.tr("发布时间"), self.tr("标题"), self.tr("内容")])
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading(self.tr("同步")))
        layout.addWidget(self.enroll_box)
        layout.addWidget(self.status_box)
        layout.addWidget(self.stick_box)
        # One tab each: three tables stacked were taller than a 1366×768 screen leaves (the window grew).
        self.tabs = QTabWidget()
        for label, table in ((self.tr("同步记录"), self.history), (self.tr("被区里拒收的记录（改正后会重新上传）"), self.rejected),
                             (self.tr("区里的通知"), self.notices)):
            self.tabs.addTab(table, label)
        layout.addWidget(self.tabs, 1)
        self.auto_timer = QTimer(self)
        self.auto_timer.timeout.connect(self.auto_sync)
        self.refresh()

    # -- state ------------------------------------------------------------------------
    def refresh(self) -> None:
        state = load_state(self.ctx.store)
        enrolled = bool(state.token)
        # A station enrolled by USB stick has a token and no address yet: the box takes the address alone.
        self.enroll_box.setVisible(not state.server_url and self.ctx.actor.role.can_write)
        self.enroll_box.setTitle(self.tr("填写区里的服务器地址（{own}已通过U盘同步包登记，不需要登记码）").format(own=self.own) if enrolled
                                 else self.tr("在区里登记{own}（只需一次）").format(own=self.own))
        # Until the district's reply names the station, a package may have to go again with a new code.
        confirmed = enrolled and bool(state.account_name)
        self.code.setEnabled(not confirmed)
        if confirmed:
            self.code.clear()  # spent: the district knows this station's token now
        self.status_box.setEnabled(enrolled)
        self.sync_button.setEnabled(bool(state.server_url) and not self.running)
        self.stick_box.setVisible(self.ctx.actor.role.can_write)
        self.stick_hint.setText(
            self.tr("把尚未上传的变更和照片导出到U盘，交区文明实践中心导入；再把区里给的回执文件导入{own}。").format(own=self.own) if enrolled else
            self.tr("{own}没有网络时：在上面填好区里给的登记码，点“导出同步包”，{own}随第一个同步包在区里登记。").format(own=self.own))
        self.server_label.setText(state.server_url or (self.tr("通过U盘同步（未填写服务器地址）") if enrolled else self.tr("尚未登记")))
        self.account_label.setText(state.account_name or "—")
        self.last_label.setText(_local(state.last_success_at))
        self.certificate_label.setText(self.tr(certificate_summary(self.ctx.store, state.ca_file)))
        self.certificate_error.show_message(None)
        self.change_certificate.setVisible(self.ctx.actor.role.can_write)
        self.auto.blockSignals(True)
        self.auto.setValue(state.auto_minutes)
        self.auto.blockSignals(False)
        self._arm_auto(state.auto_minutes)
        # The counts and lists read the outbox — hundreds of thousands of rows on a 5-year store, and what
        # the district refused with its parents: 0.2–0.9 s of SQL that froze the window after every sync (#25).
        # Read in the background; the lists shown stay until the new ones are in, a newer read makes an older moot.
        store = self.ctx.store
        self._generation = generation = getattr(self, "_generation", 0) + 1
        self.lists_loading = True

        def read(_task):
            with store.session() as session:
                notices = session.exec(select(Announcement).order_by(Announcement.published_at.desc()).limit(50)).all()
            return (outbox.pending_count(store), outbox.rejected_count(store), history(store), outbox.rejected_rows(store), notices)

        def show(result) -> None:
            if generation == self._generation:
                self.show_lists(enrolled, *result)

        run_in_background(self, read, show)

    def show_lists(self, enrolled: bool, waiting: int, refused: int, runs, refused_rows, notices) -> None:
        self.lists_loading = False
        self.waiting_label.setText(self.tr("{0} 条").format(waiting) if not refused else
                                   self.tr("{0} 条；另有 {1} 条被区里拒收，见下方说明").format(waiting, refused))
        fill_table(self.history, [(_local(r.started_at), STATUS_LABELS.get(r.status, r.status), r.pushed, r.rejected, r.pulled, r.message)
                                  for r in runs])
        fill_table(self.rejected, [(r.entity, r.title, r.reason, _local(r.at)) for r in refused_rows])
        self.tabs.setTabText(1, self.tr("被区里拒收的记录（{0}，改正后会重新上传）").format(len(refused_rows)) if refused_rows
                             else self.tr("被区里拒收的记录"))
        fill_table(self.notices, [(_local(n.published_at), n.title, n.body) for n in notices])
        self.status.emit(self.tr("等待同步 {0} 条").format(waiting) if enrolled else self.tr("{own}尚未在区里登记").format(own=self.own))

    def choose_ca(self) -> None:
        path = ask_open_path(self, "certificate", self.tr("选择根证书"), self.tr("证书 (*.pem *.crt *.cer)"))
        if path is None:
            return
        try:
            check_certificate(path)  # said now, not only when 登记 is pressed (trial, #27)
        except SyncError as exc:
            self.enroll_error.show_message(str(exc))
            return
        self.enroll_error.show_message(None)
        self.ca_file.setText(str(path))

    def choose_new_certificate(self) -> None:
        """更换证书…: the district renewed its certificate, or the copy kept was lost with an older version's
        USB stick path. Checked, copied into the data folder, and used from the next sync."""
        path = ask_open_path(self, "certificate", self.tr("选择区里提供的根证书"), self.tr("证书 (*.pem *.crt *.cer)"))
        if path is None:
            return
        self.certificate_error.show_message(None)
        store = self.ctx.store

        def done(_name: str) -> None:
            self.status.emit(self.tr("已更换区里的根证书，下次同步起使用"))
            self.refresh()

        def failed(exc: BaseException, _details: str) -> None:
            self.certificate_error.show_message(str(exc) if isinstance(exc, SyncError) else self.tr("更换证书失败：{0}").format(exc))

        run_in_background(self, lambda _task: keep_certificate(store, path), done, failed, title=self.tr("正在更换证书"),
                          cancellable=False)

    def demo_enrolment_wanted(self) -> bool:
        """A real station, or a demo its operator means to enrol all the same (a district's training server) —
        asked before anything else, online or by the first package alike."""
        if not Settings(self.ctx.store.paths.settings).get("is_demo"):
            return True
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("这是示范站"), self.tr(
            "这是示范站，里面的志愿者和活动都是虚构的。登记后这些数据会上传到区里，和真实的实践站混在一起。\n"
            "要登记本站，请先点“文件 → 退出示范站，建立本站台账”。\n\n确实要把示范站登记到区里吗（例如区里专门用来培训的服务器）？"), parent=self)
        go = box.addButton(self.tr("仍然登记示范站"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(self.tr("不登记"), QMessageBox.ButtonRole.RejectRole))
        box.exec()
        wanted = box.clickedButton() is go
        box.deleteLater()
        return wanted

    def enroll(self) -> None:
        self.enroll_error.show_message(None)
        store, server, ca = self.ctx.store, self.server.text(), self.ca_file.text()
        code = self.code.text() if self.code.isEnabled() else ""
        problem = address_problem(server)
        if problem:  # said before the demo's question (a trial: asked whether to enrol, then for an address)
            self.enroll_error.show_message(problem)
            return
        if not self.demo_enrolment_wanted():
            return

        def done(name: str) -> None:
            self.enroll_button.setEnabled(True)
            self.status.emit(self.tr("登记成功：{own}在区里的名称为“{0}”").format(name, own=self.own))
            self.refresh()

        def failed(exc: BaseException, _details: str) -> None:
            self.enroll_button.setEnabled(True)
            if isinstance(exc, SyncCancelled) or job.cancelled:  # called off: not the error of the step it ended
                self.enroll_error.show_message(self.tr("已取消登记"))
                return
            self.enroll_error.show_message(str(exc) if isinstance(exc, SyncError) else self.tr("登记失败：{0}").format(exc))

        self.enroll_button.setEnabled(False)  # one enrolment at a time (a second click started a second, a trial)
        # A short wait for the answer: an enrolment's is small, and 取消 waits for a request in flight
        job = run_in_background(self, lambda task: SyncClient(store, max_retry_seconds=20, timeout=(5.0, 15.0)).enroll(
            server, code, ca_file=ca, cancelled=lambda: task.cancelled), done, failed, title=self.tr("正在登记"))

    # -- by USB stick ---------------------------------------------------------------------
    def export_package(self) -> None:
        from sync.package import PackageError, default_package_name, export_package

        from ..saving import ask_save_path, show_saved

        self.error.show_message(None)
        self.enroll_error.show_message(None)
        state = load_state(self.ctx.store)
        code = self.code.text().strip() if self.code.isEnabled() else ""
        if not state.token and not code:
            self.enroll_error.show_message(self.tr("登记码：请填写区文明实践中心给的8位登记码，它随第一个同步包一起登记{own}").format(own=self.own))
            self.code.setFocus()
            return
        # the first package enrols: a demo asks first, as 登记 does (a trial: refused after the file was chosen)
        if not state.token and not self.demo_enrolment_wanted():
            return
        target = ask_save_path(self, "sync", self.tr("导出同步包"), default_package_name(self.ctx.store), self.tr("同步包 (*.slpkg)"))
        if target is None:
            return
        if target.suffix != ".slpkg":
            target = target.with_name(target.name + ".slpkg")
        store = self.ctx.store

        def done(result) -> None:
            self.progress_text.setText(self.tr("已导出同步包：{0} 条变更，{1} 张照片。请交区文明实践中心导入，再导入区里给的回执文件。")
                                       .format(result.rows, result.photos))
            self.refresh()
            show_saved(self, result.path, self.tr("同步包"))

        def failed(exc: BaseException, _details: str) -> None:
            from app.known_errors import describe

            label = self.enroll_error if isinstance(exc, PackageError) and "登记码" in str(exc) else self.error
            # a stick pulled out, full or write-protected: said in Chinese, with what to do
            label.show_message(str(exc) if isinstance(exc, PackageError) else self.tr("导出同步包失败：{0}").format(describe(exc) or exc))
            self.refresh()

        run_in_background(self, lambda task: export_package(store, target, code=code, allow_demo=True,  # asked above
                                                            progress=lambda d, t: task.report(d, t, "")),
                          done, failed, title=self.tr("正在导出同步包"), cancellable=False)

    def import_reply(self) -> None:
        from sync.package import PackageError, import_reply

        self.error.show_message(None)
        path = ask_open_path(self, "sync", self.tr("导入回执文件"), self.tr("回执文件 (*.slreply)"))
        if path is None:
            return
        store = self.ctx.store

        def done(result) -> None:
            text = self.tr("已导入回执：区里接收 {0} 条，被拒 {1} 条，收到通知 {2} 条").format(result.acked, result.rejected, result.notices)
            if result.dispatched:
                text += self.tr("；收到区中心派单 {0} 件，请到“群众点单”页派单").format(result.dispatched)
            if result.handed_in:  # 五.2: 转派 or 上报 from another tier's ledger
                text += self.tr("；收到转派或上报来的需求 {0} 件，请到“群众点单”页办理").format(result.handed_in)
            if result.progress:
                text += self.tr("；转出需求的办理进展 {0} 条").format(result.progress)
            if result.elsewhere:  # #30: one person across ledgers
                text += self.tr("；{0} 名志愿者已在其他站点登记，见“志愿者”页").format(result.elsewhere)
            self.progress_text.setText(text)
            self.refresh()
            self.changed.emit()

        def failed(exc: BaseException, _details: str) -> None:
            from app.known_errors import describe

            self.error.show_message(str(exc) if isinstance(exc, PackageError) else self.tr("导入回执失败：{0}").format(describe(exc) or exc))

        run_in_background(self, lambda task: import_reply(store, Path(path)), done, failed, title=self.tr("正在导入回执"), cancellable=False)

    # -- syncing ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None

    def start_sync(self) -> None:
        if self.running or not load_state(self.ctx.store).token:
            return
        self.error.show_message(None)
        self.sync_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress_text.setText(self.tr("正在连接区里的服务器…"))
        store = self.ctx.store

        def work(task):
            return SyncClient(store).sync(
                progress=lambda p: task.report(p.rows_done, p.rows_total, f"{p.text}，已发送 {p.bytes_sent / 1024:.0f} KB"),
                cancelled=lambda: task.cancelled)

        self.task = run_in_background(self, work, self.on_done, self.on_failed)
        self.task.progress.connect(self.on_progress)

    def on_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_text.setText(text)

    def cancel_sync(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.progress_text.setText(self.tr("正在取消…"))

    def _finish(self) -> None:
        self.task = None
        self.sync_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.refresh()

    def on_done(self, result) -> None:
        text = self.tr("同步完成：上传 {0} 条，被拒 {1} 条，收到通知 {2} 条").format(result.pushed, result.rejected, result.notices)
        if result.dispatched:
            text += self.tr("；收到区中心派单 {0} 件，请到“群众点单”页派单").format(result.dispatched)
        if result.handed_in:  # 五.2: 转派 or 上报 from another tier's ledger
            text += self.tr("；收到转派或上报来的需求 {0} 件，请到“群众点单”页办理").format(result.handed_in)
        if result.progress:
            text += self.tr("；转出需求的办理进展 {0} 条").format(result.progress)
        if result.elsewhere:  # #30: one person across ledgers
            text += self.tr("；{0} 名志愿者已在其他站点登记，见“志愿者”页").format(result.elsewhere)
        self.progress_text.setText(text)
        self._finish()
        self.progress.setValue(1)
        self.changed.emit()
        self.finished.emit(True)

    def on_failed(self, exc: BaseException, _details: str) -> None:
        self.progress_text.clear()
        self.error.show_message(str(exc) if isinstance(exc, SyncError) else self.tr("同步出错：{0}").format(exc))
        self._finish()
        self.finished.emit(False)

    # -- automatic ----------------------------------------------------------------------
    def on_auto_changed(self, minutes: int) -> None:
        save_state(self.ctx.store, auto_minutes=minutes)
        self._arm_auto(minutes)

    def _arm_auto(self, minutes: int) -> None:
        if minutes:
            self.auto_timer.start(minutes * 60_000)
        else:
            self.auto_timer.stop()

    def auto_sync(self) -> None:
        if not self.running:
            self.start_sync()

