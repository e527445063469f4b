"""How a dialog of ours ends: deleted by Qt once its ``exec()`` returns, never by Python's cycle collector.

PySide6 (6.11.3, and every version we checked) hands a dialog's wrapper to Python when ``exec()`` runs,
even though its parent page still holds it in C++ (``shiboken6.ownedByPython(dialog)`` is False before
``exec()`` and True after). From then on, dropping the last Python reference deletes the C++ widget
tree. Through reference counting that is harmless; but when the dialog is in a Python reference cycle
(a child widget keeping a bound method of the dialog was enough), the cycle collector frees it — at any
allocation, in the middle of whatever the window is doing — and Qt dies in ``QWidget::window()`` or
``QWidget::destroy`` (gdb: ``gc_collect → delete_garbage → ~QWidget → deleteChildren``). The clerk's
window crashed within four saves of a copied activity (#25).

So, two rules, both checked by tests (tests/test_form_lifecycle.py):

1. Every ``QDialog`` subclass in ``ui/`` inherits ``ClosedByQt`` first: its ``exec()`` ends with
   ``deleteLater()``. The caller reads the dialog's results right after ``exec()`` as before (deferred
   deletion waits until control returns to the event loop that called it; a modal box opened meanwhile
   does not run it). Qt then deletes the widgets in its own order, while every wrapper is still valid,
   and the Python wrapper that remains is an empty shell whatever cycle it is in.
2. No widget keeps a bound method of its dialog (or the dialog itself): a child tells its dialog
   something through a Signal. Such cycles are also what kept a closed form and everything it showed
   in memory until the next full collection.

A dialog shown with ``show()`` rather than ``exec()`` stays owned by its parent in C++ and is closed
with ``WA_DeleteOnClose`` or an explicit ``deleteLater()``.
"""

from __future__ import annotations


class ClosedByQt:
    """Mixin for every dialog: put it first in the bases, before ``QDialog`` (or ``QWizard``)."""

    def exec(self) -> int:  # Qt's name
        try:
            return super().exec()  # type: ignore[misc]
        finally:
            self.deleteLater()  # type: ignore[attr-defined]
