"""Form building blocks: fields with their Chinese error shown right beside them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QTime, QTimer, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QApplication, QListWidgetItem, QMessageBox, QPushButton, QScrollArea, QSizePolicy, QTimeEdit, QVBoxLayout, QWidget,
)

from app.services.errors import ServiceError, ValidationError

from .fit import window_room
from .lifetime import ClosedByQt

DATE_FORMAT = "yyyy年M月d日"


def to_qdate(value: date | None) -> QDate:
    value = value or date.today()  # the services' clock, not Qt's: "today" means one day everywhere
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def date_edit(value: date | None = None) -> QDateEdit:
    edit = QDateEdit(to_qdate(value))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    return edit


class TimeEdit(QTimeEdit):
    """A time that takes what a clerk types: 0930, 930 or 9:30, wherever the click landed, whatever is
    selected (after Ctrl+A too) and however fast the keys come (a barcode scanner sends them 30 ms apart).

    Digits are read here, not by QTimeEdit's section editing: they fill HH, then mm, and each digit sets the
    time at once. (QTimeEdit ignored digits typed into the minutes when the hour was not selected first, the
    hour selected on focus could land between two keys already typed, and a selection over both sections
    took nothing.) Any other key (not Shift and the like alone), a click or leaving the field starts a new time."""

    SEPARATORS = (":", "：", ".", "。")
    whole = Signal()  # a time typed digit by digit is whole (its minutes' two digits in)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.typed = ""  # the digits (and separator) of the time being typed

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.typed = ""
        QTimer.singleShot(0, self.select_hour_unless_typing)

    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        self.typed = ""
        if not self.lineEdit().hasSelectedText():
            self.select_hour()

    MODIFIERS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr, Qt.Key.Key_Meta,
                 Qt.Key.Key_CapsLock)

    def keyPressEvent(self, event) -> None:
        if event.key() in self.MODIFIERS:  # a Shift pressed for the colon (19:00) is no key of its own (a trial)
            super().keyPressEvent(event)
            return
        text = event.text()
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        if plain and len(text) == 1 and (text.isdigit() or (text in self.SEPARATORS and self.typed)):
            self.take(text if text.isdigit() else ":")
            event.accept()
            return
        self.typed = ""
        super().keyPressEvent(event)

    def take(self, char: str) -> None:
        typed = self.typed + char
        if self.typed and len(self.split(self.typed)[1]) == 2:  # a time was complete: this key starts the next one
            typed = char
        if typed == ":" or (char == ":" and ":" in self.typed):
            return
        parsed = self.parse(typed)
        if parsed is None:  # e.g. minutes past 59: the key is refused
            QApplication.beep()
            return
        hour, minute, in_minutes = parsed
        self.typed = typed
        self.setTime(QTime(hour, minute))
        section = QTimeEdit.Section.MinuteSection if in_minutes else QTimeEdit.Section.HourSection
        self.setCurrentSection(section)
        self.setSelectedSection(section)
        if not self.half_typed:
            self.whole.emit()  # (the time may not have changed on its last digit: 150 → 1500 is 15:00 twice)

    @staticmethod
    def parse(typed: str) -> tuple[int, int, bool] | None:
        """(hour, minute, typing the minutes) of what was typed so far, or None when it cannot be a time."""
        hour_digits, minute_digits = TimeEdit.split(typed)
        hour, minute = int(hour_digits or 0), int(minute_digits or 0)
        if hour > 23 or minute > 59 or len(minute_digits) > 2:
            return None
        in_minutes = bool(minute_digits) or ":" in typed or len(hour_digits) == 2 or hour > 2
        return hour, minute, in_minutes

    @property
    def half_typed(self) -> bool:
        """A time being typed and not yet whole (1, 18, 180 of 1800): what it shows meanwhile is no one's answer."""
        return bool(self.typed) and len(self.split(self.typed)[1]) < 2

    @staticmethod
    def split(typed: str) -> tuple[str, str]:
        """The hour's digits and the minutes' of what was typed: 0930 → 09 30; 930 → 9 30; 9:5 → 9 5."""
        if ":" in typed:
            hour_digits, minute_digits = typed.split(":", 1)
            return hour_digits, minute_digits
        if len(typed) >= 2 and int(typed[:2]) <= 23:
            return typed[:2], typed[2:]
        return typed[:1], typed[1:]  # 9 → 09, then the minutes; 25 → 02:5…

    def select_hour_unless_typing(self) -> None:
        if not self.typed:
            self.select_hour()

    def select_hour(self) -> None:
        self.setCurrentSection(QTimeEdit.Section.HourSection)
        self.setSelectedSection(QTimeEdit.Section.HourSection)


def time_edit(value=None) -> TimeEdit:
    edit = TimeEdit(QTime(value.hour, value.minute) if value else QTime(9, 0))
    edit.setDisplayFormat("HH:mm")
    return edit


def combo(items, current: str = "", *, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    box.setEditable(editable)
    if current:
        box.setCurrentText(current)
    return box


UNLIMITED = (1 << 24) - 1  # Qt's QWIDGETSIZE_MAX: a widget's maximum size when none is set


class CheckList(QListWidget):
    """A list of check boxes where a click on an item's words ticks it too, as in a Windows check list (a trial:
    only the small box did, in the team and volunteer lists alike)."""

    def mouseReleaseEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        before = item.checkState() if item is not None else None
        super().mouseReleaseEvent(event)
        checkable = item is not None and bool(item.flags() & Qt.ItemFlag.ItemIsUserCheckable)
        if checkable and event.button() == Qt.MouseButton.LeftButton and item.checkState() == before:
            checked = before == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)


class TeamChecklist(CheckList):
    """The station's teams with check boxes (a volunteer's teams, a project's teams)."""

    def __init__(self, teams, checked: set[str], *, with_category: bool = False, height: int = 110):
        super().__init__()
        self.setMaximumHeight(height)
        for summary in teams:
            text = f"{summary.team.name}（{summary.team.category}）" if with_category else summary.team.name
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, summary.team.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if summary.team.id in checked else Qt.CheckState.Unchecked)
            self.addItem(item)

    def checked_ids(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]



class ErrorLabel(QLabel):
    gone = Signal()  # a message shown until now is taken away (its form gives back the room it took)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.hide()

    from_save = False  # shown by 保存 (cleared when the field changes), not by a live check

    def show_message(self, message: str | None, *, from_save: bool = False) -> None:
        was_shown = not self.isHidden()
        self.setText(message or "")
        self.setVisible(bool(message))
        self.from_save = bool(message) and from_save
        if was_shown and not message:
            self.gone.emit()


def _change_signal(widget: QWidget):
    """The signal a person's edit of ``widget`` emits, or None for a compound widget."""
    # "changed": a compound widget's own (the volunteer checklist): its 保存 error went only at the next 保存
    # a QTimeEdit has a dateChanged that never fires (it was chosen, and a time's error never went): dateTimeChanged
    # is the one signal a QDateEdit and a QTimeEdit both emit
    for name in ("changed", "textChanged", "currentIndexChanged", "valueChanged", "dateTimeChanged", "toggled"):
        if isinstance(widget, (QComboBox,)) and name == "textChanged":
            continue
        signal = getattr(widget, name, None)
        if signal is not None and hasattr(signal, "connect"):
            return signal
    return None


class SensitiveEdit(QWidget):
    """An ID number or phone shown masked (for every role); 重新录入 clears it for a new value.

    ``reveal``, given to an admin, adds a 显示 button (an eye): it fetches the full value through the
    audit service, which records the look, and shows it read-only. ``value()`` is None while the stored
    value is kept unchanged.
    """

    def __init__(self, masked: str, *, placeholder: str = "", reveal: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.edit = QLineEdit(masked)
        self.edit.setReadOnly(bool(masked))
        self.edit.setPlaceholderText(placeholder)
        self._changed = not masked
        self._reveal = reveal
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        self.eye = QPushButton(self.tr("显示"))
        self.eye.setObjectName("revealButton")
        self.eye.setToolTip(self.tr("显示完整内容（管理员；每次查看都记入操作记录）"))
        self.eye.setVisible(bool(masked) and reveal is not None)
        self.eye.clicked.connect(self._show_full)
        layout.addWidget(self.eye)
        self.button = QPushButton(self.tr("重新录入"))
        self.button.setVisible(bool(masked))
        self.button.clicked.connect(self._reenter)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)

    def _show_full(self) -> None:
        if self._reveal is None:
            return
        try:
            full = self._reveal()
        except ServiceError as exc:
            QMessageBox.warning(self, self.tr("无法显示"), str(exc))
            return
        self.edit.setText(full)
        self.edit.setToolTip(self.tr("已显示完整内容，此次查看已记入操作记录"))
        self.eye.hide()

    def _reenter(self) -> None:
        self._changed = True
        self.edit.clear()
        self.edit.setReadOnly(False)
        self.button.hide()
        self.eye.hide()
        self.edit.setFocus()

    def value(self) -> str | None:
        return self.edit.text() if self._changed else None

    # a form's draft (ui/drafts.py): a new value typed, never the stored one
    @property
    def draft_changed(self):
        return self.edit.textChanged

    def draft_value(self) -> dict:
        return {"changed": self._changed, "text": self.edit.text() if self._changed else ""}

    def restore_draft_value(self, value: dict) -> None:
        if value.get("changed") and not self._changed:
            self._reenter()
        if value.get("changed"):
            self.edit.setText(value.get("text", ""))


class FormScroll(QScrollArea):
    """The fields of a form, scrolling inside the dialog when the screen is shorter than the form
    (1366×768 with a taskbar), while 保存/取消 stay in view below. The dialog's first show makes
    the dialog as tall as its fields where the screen allows, so a form on a big screen opens without a scroll bar.
    (No Python override of sizeHint: Qt calls those while a dialog is being destroyed.)"""

    def __init__(self, inner: QWidget):
        super().__init__()
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def content_height(self) -> int:
        return self.widget().sizeHint().height()

    def fit_width(self) -> None:
        self.setMinimumWidth(self.widget().sizeHint().width() + self.verticalScrollBar().sizeHint().width())
        self.setMinimumHeight(120)


def fit_to_screen(window: QWidget) -> None:
    """Never taller or wider than the screen's available area (the taskbar excluded), and inside it."""
    screen = window.screen()
    if screen is None:
        return
    area = screen.availableGeometry()
    frame = window.frameGeometry().height() - window.geometry().height() or 32
    width, height = min(window.width(), area.width()), min(window.height(), area.height() - frame)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(window.x(), area.left()), area.right() - width)
    y = min(max(window.y(), area.top()), area.bottom() - height - frame)
    if (x, y) != (window.x(), window.y()):
        window.move(max(area.left(), x), max(area.top(), y))


class FormDialog(ClosedByQt, QDialog):
    """A dialog of labelled fields; ``show_errors`` puts each message beside its field."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.banner = ErrorLabel()
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.cancel)
        # Queued: the layouts learn of the hidden message from events posted as it hides
        self.banner.gone.connect(self.fit_back, Qt.ConnectionType.QueuedConnection)
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.banner)
        fields = QWidget()
        fields.setLayout(self.form)
        self.scroll = FormScroll(fields)
        self.body.addWidget(self.scroll, 1)

    def finish_layout(self) -> None:
        self.body.addWidget(self.buttons)
        for widget in self.fields.values():
            # A box given a height limit gets exactly that height: with a maximum only, a form taller than its
            # fields floated the box in the middle of its row between two empty gaps (the 服务队 form's 简介).
            if widget.maximumHeight() < UNLIMITED:
                widget.setMinimumHeight(widget.maximumHeight())
                holder = widget.parentWidget()  # the row's box (add): as tall as the field and its message, no taller
                holder.setSizePolicy(holder.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Maximum)

    # -- 放弃修改？ ----------------------------------------------------------------
    _initial: tuple | None = None

    def field_state(self) -> tuple:
        """What the person can change in this form, to tell an untouched form from one with edits."""
        from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QPlainTextEdit, QTextEdit

        state = []
        for widget in self.findChildren(QWidget):
            if isinstance(widget, QLineEdit):
                state.append(widget.text())
            elif isinstance(widget, QComboBox):
                state.append(widget.currentText())
            elif isinstance(widget, QAbstractSpinBox):
                state.append(widget.text())
            elif isinstance(widget, QCheckBox):
                state.append(widget.isChecked())
            elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
                state.append(widget.toPlainText())
            elif isinstance(widget, QListWidget):
                state.append(tuple((widget.item(i).text(), widget.item(i).checkState().value) for i in range(widget.count())))
        return tuple(state)

    _laid_out = False  # the first show's set-up done (not told by _initial: a restored draft sets that before it)

    def showEvent(self, event) -> None:
        self._keep_drafts()
        if self._initial is None:
            self._initial = self.field_state()
        if not self._laid_out:
            self._laid_out = True
            # Enter saves: no other button of the form takes Enter for itself (添加志愿者… did)
            for button in self.findChildren(QPushButton):
                if button.parent() is not self.buttons:
                    button.setAutoDefault(False)
                    button.setDefault(False)
            # As tall as the fields, but never taller than the screen less the taskbar and a title bar: the
            # fields scroll when it is shorter. (Sized here without moving the window: moving or asking the
            # window for its screen inside showEvent crashed the test process later, somewhere else.)
            self.fit_height(width=max(self.width(), self.sizeHint().width()))
        super().showEvent(event)

    def fit_height(self, width: int | None = None) -> None:
        """As tall as the fields, within the screen less the taskbar: grows, never shrinks (an error shown under
        a field made the 评单 form scroll although the screen had room). The width stays once shown: a long
        message under a field widened the 新增活动 form by 200 px and moved 保存 from under the pointer."""
        if width is not None:
            self.scroll.fit_width()
        before = self.height()
        self.resize(width or self.width(), min(window_room()[1], max(before, self.needed_height())))
        if width is None and self.height() > before:  # grown for messages: remembered, to give back (fit_back)
            if self._before_messages is None:
                self._before_messages = before
            self._grown_to = self.height()

    _before_messages: int | None = None  # the height before messages grew the form, while they show
    _grown_to = 0  # the height the messages left it at: another one means the person has resized it since

    def needed_height(self) -> int:
        """The fields' height with the messages showing now, within the screen less the taskbar."""
        others = self.sizeHint().height() - self.scroll.sizeHint().height()
        return min(window_room()[1], others + self.scroll.content_height())

    def fit_back(self) -> None:
        """A message has gone: the room it took is given back — never below the height before the messages,
        and not at all once the person has resized the form (a trial: the 点单 form kept an empty gap under
        its fields after its errors were fixed)."""
        if self._before_messages is None or self.height() != self._grown_to:
            self._before_messages = None
            return
        height = max(self._before_messages, min(self.height(), self.needed_height()))
        self.resize(self.width(), height)
        self._grown_to = height
        if height <= self._before_messages:
            self._before_messages = None

    def has_changes(self) -> bool:
        return self._initial is not None and self.field_state() != self._initial

    # -- drafts: nothing typed is lost (ui/drafts.py) --------------------------------------
    DRAFT_PAGE: str | None = None  # the page a form keeping drafts is opened from; None: no drafts
    draft_key = ""  # the draft file this form writes (kept when a draft is restored into it)
    _keeper = None

    def draft_record_id(self) -> str | None:
        """The record this form edits (None for a new one)."""
        return None

    def draft_record_version(self) -> int | None:
        """The version of that record as the form opened it (None for a new one)."""
        return None

    def draft_copy_of(self) -> str | None:
        return None

    def draft_extra(self) -> dict:
        """What the form keeps beyond its plain fields (e.g. the activity's participants)."""
        return {}

    def restore_draft_extra(self, extra: dict) -> None:
        pass

    @classmethod
    def reopen(cls, ctx, draft, parent):
        """The form a draft was typed into, made again for the same record."""
        raise NotImplementedError

    def restore_draft(self, draft) -> None:
        """Fill the form as the draft has it; what it opened with stays the state 放弃修改？ compares with."""
        from .drafts import restore

        self._initial = self.field_state()
        restore(self, draft.values)
        self.restore_draft_extra(draft.extra)

    def _keep_drafts(self) -> None:
        if self.DRAFT_PAGE is not None and self._keeper is None and getattr(self, "ctx", None) is not None:
            from .drafts import DraftKeeper

            self._keeper = DraftKeeper(self)

    _given_up = False  # the person chose 取消 (and 放弃修改): unlike the program closing the form itself

    def close_keeping_draft(self) -> None:
        """Closed by the program (切换操作员 over an open form): what was typed is written as a draft first."""
        if self._keeper is not None:
            self._keeper.write()
        self.reject()

    def done(self, result: int) -> None:
        """Saved, or given up by the person: either way nothing is left to recover. Closed by the program
        itself (``reject()``), the draft stays for the next start."""
        if self._keeper is not None and (int(result) == QDialog.DialogCode.Accepted.value or self._given_up):
            self._keeper.discard()
        super().done(result)

    def confirm_discard(self) -> bool:
        """True when there is nothing to lose, or the person chose 放弃修改."""
        if not self.has_changes():
            return True
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, self.tr("放弃修改？"), self.tr("表单中有尚未保存的修改，确定放弃吗？"), parent=self)
        discard = box.addButton(self.tr("放弃修改"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.tr("继续编辑"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.exec()
        return box.clickedButton() is discard

    def cancel(self) -> None:
        """取消, Esc or the window's ×: a form with edits asks first, so one slip does not throw it away.
        (``reject()`` itself stays silent, for the program's own closing.)"""
        if self.confirm_discard():
            self._given_up = True
            self.reject()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        # Enter saves — said by the form itself, not left to QDialog's default button: after a 保存 that failed
        # moved the focus to the first wrong field, the window no longer had a default button, and Enter did
        # nothing once the number was corrected. (A focused button, or a text box taking Enter, never gets here.)
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain and save is not None and save.isEnabled():
            save.click()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        if event.spontaneous():
            if not self.confirm_discard():
                event.ignore()
                return
            self._given_up = True
        super().closeEvent(event)

    def add(self, name: str, label: str, widget: QWidget) -> QWidget:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = ErrorLabel()
        error.gone.connect(self.fit_back, Qt.ConnectionType.QueuedConnection)
        column.addWidget(error)
        self.form.addRow(label, holder)
        self.fields[name], self.errors[name] = widget, error
        # An error from 保存 goes as soon as the person changes that field (it is checked again at the next
        # 保存; live checks such as the ID number's, connected after this, show it again if still wrong).
        changed = _change_signal(widget.edit if isinstance(widget, SensitiveEdit) else widget)
        if changed is not None:
            changed.connect(lambda *_a: error.show_message(None) if error.from_save else None)
        return widget

    def depends_on(self, name: str, *widgets: QWidget) -> None:
        """The error 保存 put under ``name`` is decided by ``widgets`` too, and goes as soon as one of them changes
        (a trial: 完成服务's “同一人不能同时在两处服务” under the volunteers stayed after the times were moved
        apart, so the clerk could not tell whether the new times were still wrong)."""
        for widget in widgets:
            signal = _change_signal(widget)
            if signal is not None:
                signal.connect(lambda *_a: self.forget_error(name))

    def forget_error(self, name: str) -> None:
        """The error 保存 put under ``name`` goes: what decided it has changed (checked again at the next 保存)."""
        error = self.errors[name]
        if error.from_save:
            error.show_message(None)

    def clear_errors(self) -> None:
        self.banner.show_message(None)
        for label in self.errors.values():
            label.show_message(None)

    def show_errors(self, errors: dict[str, str]) -> None:
        self.clear_errors()
        unplaced = []
        first: QWidget | None = None
        for field, message in errors.items():
            if field in self.errors:
                self.errors[field].show_message(message, from_save=True)
                first = first or self.fields[field]
            else:
                unplaced.append(message)
        if unplaced:
            self.banner.show_message("；".join(unplaced))
        if self.isVisible():
            self.fit_height()
        if first is not None:
            first.setFocus()

    def save(self) -> None:
        self.clear_errors()
        try:
            self.result_value = self.submit()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        except ServiceError as exc:
            self.banner.show_message(str(exc))
            return
        self.accept()

    def submit(self):  # pragma: no cover - overridden
        raise NotImplementedError
