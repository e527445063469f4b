"""A list page: search box, actions, a lazy SQL table, a recycle-bin view, and the count in the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QBoxLayout, QCheckBox, QFrame, QHBoxLayout, QScrollArea, QHeaderView, QLabel, QLineEdit, QMessageBox,
    QPushButton, QSizePolicy, QSpacerItem, QTableView, QVBoxLayout, QWidget,
)

from app.services.context import Context
from app.services.errors import ServiceError
from app.services.station import set_deleted_many

from app.known_errors import describe

from ..saving import ask_open_path, ask_save_path, show_saved
from ..table_model import Column, LazyTableModel
from ..workers import run_in_background


def ask_full_numbers(page: "Page", what: str) -> bool | None:
    """Whether an export holding personal data (``what``) shows whole numbers: an admin chooses each time —
    masked by default (Enter), or whole, labelled 内部资料 and written to the 操作日志 by the export; None: called
    off. Any other role is not asked: masked."""
    if not page.ctx.actor.role.may_reveal_personal_data:
        return False
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, page.tr("导出为Excel"),
                      page.tr("表格中的{0}怎样导出？\n\n隐去部分号码：可以交给别人。\n"
                              "完整号码：仅供内部使用，表头写明“内部资料”，并记入操作日志。").format(what),
                      buttons.Yes | buttons.No | buttons.Cancel, page)
    box.button(buttons.No).setText(page.tr("隐去部分号码"))
    box.button(buttons.Yes).setText(page.tr("完整号码（内部资料）"))
    box.button(buttons.Cancel).setText(page.tr("取消"))
    box.setDefaultButton(buttons.No)
    box.setEscapeButton(buttons.Cancel)
    answer = box.exec()
    box.deleteLater()
    if answer == buttons.Cancel:
        return None
    return answer == buttons.Yes


def form_result(dialog):
    """``dialog.exec()``: what its 保存 returned (the record), or None when it was called off."""
    return getattr(dialog, "result_value", None) if dialog.exec() else None


def export_to_excel(page: "Page", title: str, write, *, personal: str = "") -> None:
    """Ask where to save ``title``.xlsx (Documents by default), then ``write(path, full)`` (returning the row
    count) in the background, then say where it went, with 打开所在文件夹. ``personal`` names the personal data
    the list holds: an admin chooses masked or whole numbers first (ask_full_numbers)."""
    full = ask_full_numbers(page, personal) if personal else False
    if full is None:
        return
    name = page.tr("{0}（内部资料）").format(title) if full else title
    path = ask_save_path(page, "table", page.tr("导出为Excel"), page.tr("{0}.xlsx").format(name),
                         page.tr("Excel 工作簿 (*.xlsx)"))
    if path is None:
        return
    if path.suffix.lower() != ".xlsx":
        path = path.with_name(path.name + ".xlsx")

    def done(n: int) -> None:
        page.status.emit(page.tr("已导出 {0} 条记录到 {1}").format(n, path))
        page.saved_message = show_saved(page, path, page.tr("{0}（{1} 条记录）").format(title, n))

    def failed(exc, _details) -> None:
        QMessageBox.warning(page, page.tr("导出失败"), describe(exc) or str(exc))

    run_in_background(page, lambda _task: write(str(path), full), done, failed, title=page.tr("正在导出"),
                      cancellable=False)


MAX_COLUMN = 260  # px: the widest a list column is sized to by itself


ALL_TABLES = frozenset({"*"})  # a page that shows figures of everything (the 工作台)


def fit_hint(search: QLineEdit, least: int = 220) -> None:
    """A search box wide enough for its whole hint: 姓名、拼音首字母、电话尾号或编号 was cut to 电话尾… beside the
    buttons of a 1366 px window (a trial). The frame's margins and the clear button take the rest."""
    hint = search.fontMetrics().horizontalAdvance(search.placeholderText())
    search.setMinimumWidth(max(least, hint + 48))


class Page(QWidget):
    """Anything in the main window's stack. ``status`` carries the text for the status bar."""

    status = Signal(str)
    changed = Signal()  # this page saved something (other pages follow the store itself: MainWindow.on_store_changed)
    title = ""

    def __init__(self, ctx: Context, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.last_status = ""
        self.status.connect(self._remember_status)

    def _remember_status(self, text: str) -> None:
        self.last_status = text  # shown again whenever the page comes to the front

    def refresh(self) -> None:
        pass

    def show_part(self, part: str) -> None:
        """Bring forward the part of this page a link names (``MainWindow.go("demands:overdue")``): a tab, say."""

    # -- typed on the page itself, not yet saved (a form in a dialog asks 放弃修改？ itself) ------------------
    def unsaved(self) -> str:
        """What this page holds typed and not yet saved, named for a person (“实践所概况”); "" when nothing. The
        main window asks before it shows another page or closes (a new user's trial: the 实践所信息 typed and not
        saved was lost without a word on leaving the page and on closing the program)."""
        return ""

    def save_unsaved(self) -> bool:
        """Save what ``unsaved`` names; False when it could not be saved (the page then shows why)."""
        return True

    def discard_unsaved(self) -> None:
        """Forget what was typed: the page shows the stored values again."""

    def unsaved_values(self) -> dict:
        """What ``unsaved`` names, as plain values: kept as its author's draft when the idle lock's 切换操作员
        rebuilds the pages for someone else (ui/drafts.py keep_page_drafts), and given back by
        ``restore_unsaved`` at the author's next login."""
        return {}

    def restore_unsaved(self, values: dict) -> None:
        """Show ``values`` (from ``unsaved_values``) typed again over the stored ones, still to be saved."""

    # the store's tables this page shows: a commit to any of them refreshes it (MainWindow.on_store_changed)
    watches: frozenset[str] = frozenset()

    def on_store_changed(self, tables: frozenset) -> None:
        self.refresh()

    def scrollable(self, inner: QWidget) -> None:
        """Lay the page out as ``inner`` in a scroll area (long pages on a small village screen)."""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def heading(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("pageTitle")
        return label


class ListPage(Page):
    model_class = None  # the SyncedBase table, for delete/restore
    noun = ""  # 志愿者 / 活动 …
    newest_first = False
    excel_kind: str | None = None  # "volunteers" / "activities": the page offers Excel import and export
    print_label = ""  # e.g. 打印台账…: the page offers a printed document
    filters_above = False  # search and filters on their own row above the buttons

    def __init__(self, ctx: Context, parent=None):
        super().__init__(ctx, parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.search_hint())
        self.search.setClearButtonEnabled(True)
        fit_hint(self.search)
        self.new_button = QPushButton(self.tr("新增{0}").format(self.noun))
        self.new_button.setObjectName("primary")
        self.edit_button = QPushButton(self.tr("查看/编辑"))
        self.delete_button = QPushButton(self.tr("删除"))
        self.restore_button = QPushButton(self.tr("恢复"))
        self.bin_toggle = QCheckBox(self.tr("回收站"))
        self.import_button = QPushButton(self.tr("导入Excel…"))
        self.export_button = QPushButton(self.tr("导出Excel…"))
        self.toolbar = QHBoxLayout()
        # Search and filters share the buttons' row when both fit in it, and take a row of their own above
        # them when not (arrange_bars, at every resize): a window left 1200 px wide cut the volunteers' hint
        # and pushed 回收站 past the edge (a trial). A page with many actions always has two rows.
        self.filter_bar = QHBoxLayout()
        self.filter_bar.addWidget(self.search, 2)
        self.add_filters(self.filter_bar)
        self.filter_gap = QSpacerItem(0, 0, QSizePolicy.Policy.Fixed)  # widens on a row of its own
        self.filter_bar.addItem(self.filter_gap)
        self.bars = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.bars.addLayout(self.filter_bar, 1)
        self.bars.addLayout(self.toolbar)
        self.print_button = QPushButton(self.tr(self.print_label) if self.print_label else "")
        widgets = [self.new_button, self.edit_button, *self.extra_buttons(), self.delete_button, self.restore_button]
        if self.excel_kind:
            widgets += [self.import_button, self.export_button]
        if self.print_label:
            widgets.append(self.print_button)
        for widget in widgets + [self.bin_toggle]:
            self.toolbar.addWidget(widget)
        self.toolbar.addStretch(1)  # on a row of their own the buttons keep to the left
        self.arrange_bars(two_rows=self.filters_above)
        self._sized = False
        self.model = LazyTableModel(self.columns(), self.fetch, self.count, self, state=self.query_state)
        self.model.descending = self.newest_first
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The spare width goes to the list's main text (a trial: at 1366 px the activities' names were cut while
        # 状态, the last column, was 200 px wide for three characters); a list without one widens its last column.
        stretched = [i for i, column in enumerate(self.model.columns) if column.stretch]
        for i in stretched:
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(not stretched)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(
            0, Qt.SortOrder.DescendingOrder if self.newest_first else Qt.SortOrder.AscendingOrder)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading(self.tr(self.title)))
        layout.addLayout(self.bars)
        layout.addWidget(self.table)
        # Filter as the person types, but only once per pause (one SQL query, not one per key), and with the
        # query in the background: a LIKE over 100,000 activities took 44 ms, run on the GUI thread it made
        # every key wait ~94 ms (#25). The rows shown stay until the new ones are in; a newer query makes an
        # older one moot.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.search_now)
        self.search.textChanged.connect(self._debounce.start)
        self.search.textChanged.connect(self._forget_saved_note)
        self.search.returnPressed.connect(self.search_now)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.new_button.clicked.connect(self.create)
        self.edit_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.bin_toggle.toggled.connect(self.on_bin_toggled)
        self.import_button.clicked.connect(self.import_excel)
        self.print_button.clicked.connect(self.print_current)
        self.export_button.clicked.connect(self.export_excel)
        QShortcut(QKeySequence.StandardKey.New, self, self.create)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.delete_selected)
        self.on_bin_toggled(False)

    # -- to override -----------------------------------------------------
    def columns(self) -> list[Column]:
        raise NotImplementedError

    def query_state(self) -> dict:
        """What the list shows, read off the widgets on the GUI thread: ``fetch`` and ``count`` get it and
        read no widget (they may run in the background)."""
        return {"ctx": self.ctx, "text": self.search.text(), "deleted": self.in_bin}

    def fetch(self, state: dict, offset: int, limit: int, order_by: str | None, descending: bool) -> list:
        raise NotImplementedError

    def count(self, state: dict) -> int:
        raise NotImplementedError

    def open_form(self, row=None):
        """The form for ``row`` (None: a new one): what it saved (the record), or None when called off."""
        raise NotImplementedError

    def search_hint(self) -> str:
        return self.tr("查找")

    def add_filters(self, toolbar: QHBoxLayout) -> None:
        pass

    def extra_buttons(self) -> list[QPushButton]:
        """Page-specific actions shown after 查看/编辑 (hidden in the 回收站)."""
        return []

    def row_id(self, row) -> str:
        return row.id

    def row_label(self, row) -> str:
        return str(row)

    # -- behaviour -------------------------------------------------------
    @property
    def in_bin(self) -> bool:
        return self.bin_toggle.isChecked()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def on_store_changed(self, tables: frozenset) -> None:
        self.refresh(background=True)  # the rows shown stay until the new ones are in

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.filters_above:
            margins = self.layout().contentsMargins()
            room = self.width() - margins.left() - margins.right()
            need = self.filter_bar.minimumSize().width() + self.bars.spacing() + self.toolbar.sizeHint().width()
            self.arrange_bars(two_rows=need > room)

    def arrange_bars(self, *, two_rows: bool) -> None:
        """Search and filters on the buttons' row, or on a row of their own above it (see __init__)."""
        direction = QBoxLayout.Direction.TopToBottom if two_rows else QBoxLayout.Direction.LeftToRight
        if self.bars.direction() != direction:
            self.bars.setDirection(direction)
            # on a row of its own the search keeps to its share, as it does beside the buttons
            policy = QSizePolicy.Policy.Expanding if two_rows else QSizePolicy.Policy.Fixed
            self.filter_gap.changeSize(0, 0, policy, QSizePolicy.Policy.Minimum)
            self.filter_bar.setStretch(self.filter_bar.indexOf(self.filter_gap), 1 if two_rows else 0)
            self.filter_bar.invalidate()

    def _forget_saved_note(self, *_args) -> None:
        self.saved_note = ""

    def search_now(self) -> None:
        self._debounce.stop()
        self.refresh(background=True)

    def refresh(self, background: bool = False, select: list[str] | None = None) -> None:
        """Reload the list: now, or with its SQL in the background (after a job: the window stays live). The rows
        selected stay selected where they are still listed (a trial: after 保存 the edited activity was no longer
        selected, and a sync's refresh dropped what the clerk had chosen); ``select``: these instead."""
        kept = select if select is not None else [self.row_id(row) for row in self.selected_rows()]
        if background:
            self.model.reload_in_background(lambda: self._reloaded(kept))
        else:
            self.model.reload()
            self._reloaded(kept)

    def _select_again(self, ids: list[str]) -> None:
        wanted = set(ids)
        found = [r for r in range(self.model.rowCount()) if self.row_id(self.model.row(r)) in wanted]
        if not found:
            return
        chosen = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        chosen.setCurrentIndex(self.model.index(found[0], 0), flags)
        for r in found[1:]:
            chosen.select(self.model.index(r, 0), flags)

    def _reloaded(self, kept: list[str] | None = None) -> None:
        if kept:
            self._select_again(kept)
        if not self._sized and self.model.rowCount():
            # Size the columns to the first page once (none wider than MAX_COLUMN: long texts elide with a
            # tooltip); afterwards the person's widths stay.
            self.table.resizeColumnsToContents()
            header = self.table.horizontalHeader()
            for column in range(header.count() - 1):
                header.resizeSection(column, min(header.sectionSize(column), MAX_COLUMN))
            self._sized = True
        self._say_count()

    saved_note = ""  # 已保存… after a 新增, said with the count until the person searches again

    def widen_for(self, index) -> None:
        """The columns a new row's texts do not fit widen to them, as the first page's were sized (none past
        MAX_COLUMN, none narrowed): a new team's 成立日期 read “2026年12月…” (a trial)."""
        header = self.table.horizontalHeader()
        for column in range(header.count()):
            stretched = header.stretchLastSection() and column == header.count() - 1
            if stretched or header.sectionResizeMode(column) == QHeaderView.ResizeMode.Stretch:
                continue  # (the last column too, when the list's main text takes the spare width: 成立日期)
            want = min(self.table.sizeHintForIndex(index.siblingAtColumn(column)).width(), MAX_COLUMN)
            if want > header.sectionSize(column):
                header.resizeSection(column, want)

    def _say_count(self) -> None:
        where = self.tr("回收站中") if self.in_bin else self.tr("共")
        text = self.tr("{0} {1} 条{2}记录").format(where, self.model.total, self.noun)
        self.status.emit(f"{self.saved_note}；{text}" if self.saved_note else text)

    def on_bin_toggled(self, on: bool) -> None:
        writable = self.ctx.actor.role.can_write
        self.new_button.setVisible(not on and writable)
        self.delete_button.setVisible(not on and writable)
        self.restore_button.setVisible(on and writable)
        self.import_button.setVisible(bool(self.excel_kind) and not on and writable)
        self.export_button.setVisible(bool(self.excel_kind) and not on)
        self.print_button.setVisible(bool(self.print_label) and not on)
        self.edit_button.setVisible(not on)
        self.refresh()

    def selected_rows(self) -> list:
        return [self.model.row(i.row()) for i in self.table.selectionModel().selectedRows()]

    def create(self) -> None:
        """新增: the record saved is then the list's current row, in view, and the status bar says so (a trial
        looked for a new volunteer in the list: nothing was chosen, nothing said)."""
        if self.in_bin or not self.ctx.actor.role.can_write:
            return
        saved = self.open_form(None)
        if not saved:
            return
        new_id = getattr(saved, "id", None)
        self.refresh(select=[new_id] if new_id else None)
        note = self.saved_text(saved)
        if new_id and not any(self.row_id(r) == new_id for r in self.selected_rows()):
            # hidden by the search or a filter: said, or the clerk takes it for lost and types it again (a trial)
            note += self.tr("，它不在当前的查找结果中（清空查找框或改变筛选条件即可看到）")
        elif self.table.currentIndex().isValid():
            self.widen_for(self.table.currentIndex())
            self.table.scrollTo(self.table.currentIndex())
        # kept in the status bar through the refreshes that follow (the store's own, a moment later, wrote 共 N 条
        # over it at once: a trial never saw it) until the person's next search
        self.saved_note = note
        self.changed.emit()
        self._say_count()

    def open_selected(self) -> None:
        rows = self.selected_rows()
        if not rows or self.in_bin:
            return
        saved = self.open_form(rows[0])
        if saved:
            self.saved_note = self.saved_text(saved)  # as after 新增
            self.after_change()

    def saved_text(self, saved) -> str:
        """已保存志愿者“张三”: what the status bar says of a record a form has just saved."""
        name = str(getattr(saved, "name", "") or getattr(saved, "title", ""))
        return self.tr("已保存{0}{1}").format(self.noun, f"“{name}”" if name else "")

    def after_change(self, background: bool = False) -> None:
        self.refresh(background)
        self.changed.emit()

    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if not rows or self.in_bin or not self.ctx.actor.role.can_write:
            return
        names = "、".join(self.row_label(r) for r in rows[:5]) + (self.tr(" 等") if len(rows) > 5 else "")
        answer = QMessageBox.question(
            self, self.tr("确认删除"),
            self.tr("确定删除 {0}（共 {1} 条）吗？\n删除后可在“回收站”中恢复。").format(names, len(rows)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._set_deleted(rows, True)

    def restore_selected(self) -> None:
        self._set_deleted(self.selected_rows(), False)

    def _set_deleted(self, rows, deleted: bool) -> None:
        """All selected rows in one transaction, in the background (a progress dialog with 取消 for a
        long selection): every row moves, or none does."""
        if not rows:
            return
        ctx, model, noun, ids = self.ctx, self.model_class, self.noun, [self.row_id(r) for r in rows]
        label = self.tr("正在删除：{done} / {total} 条") if deleted else self.tr("正在恢复：{done} / {total} 条")

        def failed(exc, _details) -> None:
            if isinstance(exc, ServiceError):
                QMessageBox.warning(self, self.tr("无法完成"), self.tr("{0}\n所选记录都没有改动。").format(exc))
                self.after_change()
            else:
                raise exc

        self.busy = run_in_background(
            self, lambda task: set_deleted_many(ctx, model, ids, deleted=deleted, what=noun, progress=task.steps(label)),
            lambda _n: self.after_change(background=True), failed, title=self.tr("正在删除") if deleted else self.tr("正在恢复"))

    def print_current(self) -> None:
        pass

    # -- Excel -------------------------------------------------------------
    def import_excel(self) -> None:
        path = ask_open_path(self, "table", self.tr("选择要导入的表格文件"),
                             self.tr("表格文件 (*.xlsx *.xls *.csv);;Excel 工作簿 (*.xlsx);;Excel 97-2003 / WPS (*.xls);;CSV 文件 (*.csv)"))
        if path is None:
            return
        ctx, kind = self.ctx, self.excel_kind

        def work(_task):
            # reading and checking thousands of rows takes seconds on a village PC: not on the GUI thread;
            # nor is the first import of openpyxl (0.1 s here), kept out of the program's start
            from app.exchange import excel

            sheet = excel.read_sheet(path, kind)
            mapping = excel.guess_mapping(sheet, kind)
            try:
                plans = excel.plan_volunteers(ctx, sheet, mapping) if kind == "volunteers" else excel.plan_activities(ctx, sheet, mapping)
            except ServiceError as exc:  # e.g. a required column not found: the dialog says so and lets it be chosen
                plans = exc
            return sheet, plans

        def done(result) -> None:
            from ..dialogs.importer import ImportDialog  # imports openpyxl: already loaded by ``work``

            sheet, plans = result
            dialog = ImportDialog(ctx, kind, sheet, self, plans=plans)
            if dialog.exec():
                self.after_change(background=True)

        def failed(exc: BaseException, _details: str) -> None:
            text = str(exc) if isinstance(exc, ServiceError) else describe(exc)
            if text is None:
                raise exc  # a bug: the error dialog, with the log
            QMessageBox.warning(self, self.tr("无法导入"), text)

        run_in_background(self, work, done, failed, title=self.tr("正在读取表格"), label=self.tr("正在读取并检查 {0} ……").format(Path(path).name))

    def export_excel(self) -> None:
        ctx, kind, filters = self.ctx, self.excel_kind, self.export_filters()

        def write(path, full):  # in the background, openpyxl's first import too
            from app.exchange import excel

            if kind == "volunteers":
                return excel.export_volunteers(ctx, path, full=full, **filters)
            return excel.export_activities(ctx, path, **filters)

        export_to_excel(self, self.title, write, personal=self.tr("证件号码和联系电话") if kind == "volunteers" else "")

    def export_filters(self) -> dict:
        return {}
