"""Nothing typed is lost (#25): an open form keeps a draft on disk (app/drafts.py), and the next start offers
恢复未保存的内容 for every draft a crash, a power cut or a killed program left, naming the form, the operator
and the time; it also says that the program closed unexpectedly and where the report is.

A form takes part by setting ``DRAFT_PAGE`` (the page it is opened from) and ``reopen``; its fields are read
and written back in the order they appear (``capture``/``restore``), a widget with ``draft_value`` /
``restore_draft_value`` counts as one field, and ``draft_extra``/``restore_draft_extra`` carry the rest
(the activity form's participants and new photos).
"""

from __future__ import annotations

import logging
from PySide6.QtCore import QDate, QObject, QTime, QTimer, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractSpinBox, QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit, QTextEdit, QTimeEdit, QVBoxLayout, QWidget,
)

from app.drafts import Draft, DraftBox

from .lifetime import ClosedByQt

log = logging.getLogger(__name__)

INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QCheckBox, QPlainTextEdit, QTextEdit, QListWidget)


def _inputs(root: QWidget) -> list[QWidget]:
    """The widgets a person types into, in the order the form made them; a widget that keeps its own draft
    value counts once (its parts are skipped), and so do a combo box's or spin box's inner line edit."""
    found = []
    units: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if any(unit.isAncestorOf(widget) for unit in units):
            continue
        if hasattr(widget, "draft_value"):
            units.append(widget)
            found.append(widget)
            continue
        if not isinstance(widget, INPUTS):
            continue
        parent = widget.parentWidget()
        if isinstance(widget, QLineEdit) and isinstance(parent, (QComboBox, QAbstractSpinBox)):
            continue
        if _inside_item_view(widget):
            continue  # a table's cell widgets (participants) come and go: the form's draft_extra has them
        found.append(widget)
    return found


def _inside_item_view(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def value_of(widget: QWidget):
    if hasattr(widget, "draft_value"):
        return widget.draft_value()
    if isinstance(widget, QComboBox):
        data = widget.currentData()
        return {"data": data if isinstance(data, (str, int, float, bool)) else None, "text": widget.currentText()}
    if isinstance(widget, QTimeEdit):
        return widget.time().toString("HH:mm")
    if isinstance(widget, QDateEdit):
        return widget.date().toString(Qt.DateFormat.ISODate)
    if isinstance(widget, QAbstractSpinBox):
        return widget.value() if hasattr(widget, "value") else widget.text()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return widget.toPlainText()
    if isinstance(widget, QListWidget):  # a checklist (teams): the checked items' ids
        return [str(widget.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked]
    if isinstance(widget, QLineEdit):
        return widget.text()
    return None


def set_value(widget: QWidget, value) -> None:
    if hasattr(widget, "restore_draft_value"):
        widget.restore_draft_value(value)
    elif isinstance(widget, QComboBox):
        index = widget.findData(value.get("data")) if value.get("data") is not None else widget.findText(value.get("text", ""))
        if index >= 0:
            widget.setCurrentIndex(index)
        elif widget.isEditable():
            widget.setEditText(value.get("text", ""))
    elif isinstance(widget, QTimeEdit):
        widget.setTime(QTime.fromString(value, "HH:mm"))
    elif isinstance(widget, QDateEdit):
        widget.setDate(QDate.fromString(value, Qt.DateFormat.ISODate))
    elif isinstance(widget, QAbstractSpinBox) and hasattr(widget, "setValue"):
        widget.setValue(value)
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
        widget.setPlainText(value)
    elif isinstance(widget, QListWidget):
        checked = set(value)
        for i in range(widget.count()):
            item = widget.item(i)
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                item.setCheckState(Qt.CheckState.Checked if str(item.data(Qt.ItemDataRole.UserRole)) in checked else Qt.CheckState.Unchecked)
    elif isinstance(widget, QLineEdit):
        widget.setText(value)


def _kind(widget: QWidget) -> str:
    return type(widget).__name__


def capture(form) -> list:
    return [[_kind(w), value_of(w)] for w in _inputs(form.scroll.widget())]


def restore(form, values: list) -> None:
    """Each saved value back into the widget of the same kind at the same place; anything that no longer
    fits (the form changed between versions) is left as the form made it."""
    for widget, saved in zip(_inputs(form.scroll.widget()), values, strict=False):  # a form changed since: left as made
        kind, value = saved
        if kind != _kind(widget):
            log.info("draft value for %s skipped: the form now has a %s there", kind, _kind(widget))
            continue
        try:
            set_value(widget, value)
        except (TypeError, ValueError, AttributeError) as exc:
            log.info("draft value for %s skipped: %s", kind, exc)


class DraftKeeper(QObject):
    """A child of the form: writes its draft a moment after a change and every few seconds while it differs
    from what the form opened with; the form's ``done`` removes it. It holds no reference to the form
    (that would be a cycle, ui/lifetime.py): the form is its parent."""

    CHECK_MS = 2000  # every few seconds: anything the change signals did not announce (table cells)
    AFTER_CHANGE_MS = 400  # a burst of typing is written once, at most this long after it began

    def __init__(self, form) -> None:
        super().__init__(form)
        self.box = DraftBox(form.ctx.store.paths.root)
        self.written_state: tuple | None = None
        self.soon = QTimer(self)
        self.soon.setSingleShot(True)
        self.soon.timeout.connect(self.write)
        self.every = QTimer(self)
        self.every.timeout.connect(self.write)
        self.every.start(self.CHECK_MS)
        for widget in _inputs(form.scroll.widget()):
            signal = _signal_of(widget)
            if signal is not None:
                signal.connect(self.changed)

    def changed(self, *_args) -> None:
        if not self.soon.isActive():
            self.soon.start(self.AFTER_CHANGE_MS)

    def write(self) -> None:
        form = self.parent()
        if form is None or not form.isVisible():
            return
        state = form.field_state() + (repr(form.draft_extra()),)
        if state == self.written_state:
            return
        self.written_state = state
        if not form.has_changes():
            self.box.remove(form.draft_key)  # back to what it opened with: nothing to keep
            return
        actor = form.ctx.actor
        draft = Draft(form=type(form).__name__, title=form.windowTitle(), operator=actor.username if actor else "",
                      operator_label=actor.label if actor else "", record_id=form.draft_record_id(),
                      record_version=form.draft_record_version(),
                      copy_of=form.draft_copy_of(), values=capture(form), extra=form.draft_extra(), key=form.draft_key)
        try:
            self.box.save(draft)
        except OSError as exc:  # a full or failing disk: the form itself still works
            log.warning("draft not written: %s", exc)
            return
        form.draft_key = draft.key

    def discard(self) -> None:
        self.soon.stop()
        self.every.stop()
        form = self.parent()
        if form is not None:
            self.box.remove(form.draft_key)


def _signal_of(widget: QWidget):
    for name in ("draft_changed", "textChanged", "currentIndexChanged", "valueChanged", "dateTimeChanged", "toggled",
                 "itemChanged"):  # dateTimeChanged: a QTimeEdit's dateChanged never fires
        signal = getattr(widget, name, None)
        if signal is not None and hasattr(signal, "connect"):
            return signal
    return None


# -- the next start ---------------------------------------------------------------------------------

def draft_forms() -> dict:
    from .dialogs.activity import ActivityDialog
    from .dialogs.demand import DemandDialog
    from .dialogs.team import TeamDialog
    from .dialogs.volunteer import VolunteerDialog

    return {cls.__name__: cls for cls in (ActivityDialog, VolunteerDialog, TeamDialog, DemandDialog)}


PAGE_DRAFT = "page:"  # a Draft.form for what was typed on a page itself (站点信息), then the page's key


def keep_page_drafts(window, actor) -> None:
    """The idle lock's 切换操作员 rebuilds the pages for the next operator: what ``actor`` (who walked away and
    cannot be asked) typed on a page and did not save is kept as their draft, offered back at their next login."""
    box = DraftBox(window.ctx.store.paths.root)
    for key, page in window.pages.items():
        what = page.unsaved()
        if not what:
            continue
        draft = Draft(form=PAGE_DRAFT + key, title=what, operator=actor.username, operator_label=actor.label,
                      extra=page.unsaved_values())
        try:
            box.save(draft)
        except OSError as exc:  # a full or failing disk: logged, as a form's draft is
            log.warning("page draft not written: %s", exc)


def _offered(window, draft: Draft) -> bool:
    if draft.form.startswith(PAGE_DRAFT):
        return draft.form.removeprefix(PAGE_DRAFT) in window.pages
    return draft.form in draft_forms()


def describe(draft: Draft) -> str:
    saved = draft.saved
    when = f"{saved.year}年{saved.month}月{saved.day}日 {saved:%H:%M}" if saved else "时间不详"
    who = draft.operator_label or draft.operator or "未知操作员"
    return f"{draft.title} — {who}填写，最后填写于 {when}"  # never saved: the time it was last typed in


class RecoveryDialog(ClosedByQt, QDialog):
    """恢复未保存的内容: the drafts left by a run that did not end properly, one line each."""

    RESTORE = 2

    def __init__(self, drafts: list[Draft], crashed_since, crash_log: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("恢复未保存的内容"))
        self.drafts = drafts
        layout = QVBoxLayout(self)
        if crashed_since is not None:
            # the report is named only when there is one: a power cut or a forced end leaves none, and a trial was
            # sent to an empty crash.log
            notice = QLabel(self.tr("实践站台账上次没有正常关闭（程序出错）。出错报告保存在：\n{0}").format(crash_log) if crash_log
                            else self.tr("实践站台账上次没有正常关闭（可能是断电或被强行结束），没有留下出错报告。"))
            notice.setWordWrap(True)
            notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(notice)
        if drafts:
            layout.addWidget(QLabel(self.tr("下列表单填写了内容但没有保存，选中一项后点“恢复”继续填写：")))
        self.list = QListWidget()
        for draft in drafts:
            item = QListWidgetItem(describe(draft))
            item.setData(Qt.ItemDataRole.UserRole, draft.key)
            self.list.addItem(item)
        self.list.setVisible(bool(drafts))
        if drafts:
            self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton(self.tr("恢复"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton(self.tr("不要了，删除"), QDialogButtonBox.ButtonRole.DestructiveRole)
        self.later_button = buttons.addButton(self.tr("以后再说") if drafts else self.tr("知道了"), QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.setVisible(bool(drafts))
        self.discard_button.setVisible(bool(drafts))
        self.restore_button.clicked.connect(lambda: self.done(self.RESTORE))
        self.discard_button.clicked.connect(self.discard_selected)
        self.later_button.clicked.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.done(self.RESTORE))
        layout.addWidget(buttons)
        self.discarded: list[str] = []
        self.resize(560, 320)

    def chosen_key(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def discard_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        answer = QMessageBox.question(self, self.tr("删除未保存的内容"), self.tr("删除后无法找回。确定不要“{0}”了吗？").format(item.text()),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.discarded.append(item.data(Qt.ItemDataRole.UserRole))
        self.list.takeItem(self.list.row(item))
        if self.list.count() == 0:
            self.accept()


def offer_recovery(window, data_root, crashed_since) -> None:
    """After the login: say so if the last run ended unexpectedly (``crashed_since``: when that run started,
    from ``ended_unexpectedly`` read before this run marked itself running), and offer each draft back —
    the drafts of the store the window shows (the demo's are the demo's)."""
    from pathlib import Path

    if getattr(window, "_offering_drafts", False):
        # One offer at a time: an offer is open already, or a form it restored is (a lock and a called-off 切换操作员
        # over that form asked again). Two offers up at once listed the same draft twice, and the one left after the
        # form was saved reopened it filled — one 保存 from a second copy of the record (a trial). The running offer
        # lists the drafts afresh once its form is closed.
        return
    box = DraftBox(window.ctx.store.paths.root)
    report = Path(data_root) / "logs" / "crash.log" if data_root is not None else None
    crash_log = str(report) if report is not None and report.is_file() and report.stat().st_size else ""
    window._offering_drafts = True
    try:
        while True:  # each operator gets back what they typed (a shared PC: nobody reads another's unsaved form)
            # read each time: a form restored here may be closed by a switch to another operator, whose drafts
            # (never the first one's) this offer then lists
            operator = window.ctx.actor.username
            drafts = [d for d in box.pending() if _offered(window, d) and d.operator == operator]
            if not drafts and crashed_since is None:
                return
            dialog = RecoveryDialog(drafts, crashed_since, crash_log, window)
            result = dialog.exec()
            for key in dialog.discarded:
                box.remove(key)
            crashed_since = None  # said once
            if result != RecoveryDialog.RESTORE:
                return
            chosen = next((d for d in box.pending() if d.key == dialog.chosen_key()), None)
            if chosen is None:
                continue  # saved or given up meanwhile: nothing of it to restore; the list is read again
            reopen_draft(window, chosen, box)
    finally:
        window._offering_drafts = False


def reopen_draft(window, draft: Draft, box: DraftBox) -> bool:
    """Open the draft's form on its page, filled as it was; True when it was saved. A page's draft is shown
    typed again on its page, still to be saved (leaving the page asks, as for any typing there)."""
    from app.services.errors import ServiceError

    if draft.form.startswith(PAGE_DRAFT):
        key = draft.form.removeprefix(PAGE_DRAFT)
        window.go(key)
        window.page(key).restore_unsaved(draft.extra)
        box.remove(draft.key)
        return False

    cls = draft_forms()[draft.form]
    window.go(cls.DRAFT_PAGE)
    page = window.page(cls.DRAFT_PAGE)
    try:
        form = cls.reopen(window.ctx, draft, page)
    except (ServiceError, LookupError) as exc:
        QMessageBox.information(window, window.tr("无法恢复"), window.tr("“{0}”无法恢复：{1}").format(draft.title, exc))
        box.remove(draft.key)
        return False
    if draft.record_version is not None and form.draft_record_version() not in (None, draft.record_version):
        # Saved by someone since the draft was typed (another operator, on this PC or through a sync): restoring puts
        # the draft's values back over theirs, so the person checks before 保存.
        QMessageBox.information(window, window.tr("记录已被修改"), window.tr(
            "“{0}”在这份内容填写之后已被修改过（可能是其他操作员）。恢复的内容会覆盖那些修改，请逐项核对后再保存。").format(draft.title))
    form.draft_key = draft.key
    form.restore_draft(draft)
    saved = bool(form.exec())
    if saved and hasattr(page, "after_change"):
        page.after_change()
    return saved
