"""志愿者证 for volunteers without a smartphone (#26): ten to a sheet with cut marks, each QR code reading back
(zbarimg, from the rendered page) as that volunteer's number signed by the station; a USB barcode scanner —
keys 5 ms apart, as one types — signs the holder in at the first scan and out at the next."""

from __future__ import annotations

import subprocess
from datetime import date, time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app import reports, signing
from app.reports.cards import card_message
from app.services import activities, volunteers
from app.services.context import Context
from test_cli import station
from ui.dialogs.preview import PdfPreview
from ui.dialogs.signin import SigninDialog
from ui_helpers import when_modal


def qr_codes(pdf, tmp_path, page: int) -> list[str]:
    """The codes on ``page`` as a scanner reads them, from the page rendered at 300 and at 400 dpi.

    One resolution alone is not a fair scanner: zbar at exactly 300 dpi missed about one code in fifty sheets of
    ten whose module edges fell on the pixel grid just so — the same PDF read all ten at 200, 250, 350, 400 and
    600 dpi (checked on the failing sheet, 2026-12-07). A USB scanner sees a printed card at its own scale, so a
    code counts when either rendering reads it; every code must still be read, and be the signed number."""
    found: set[str] = set()
    for dpi in (300, 400):  # 300 dpi: a 27 mm code of 45 modules gets 7 px a module (at 150 dpi some went unread)
        stem = tmp_path / f"p{page}-{dpi}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), str(pdf), str(stem)], check=True)
        image = next(tmp_path.glob(f"{stem.name}*.png"))
        # --nodbus: zbarimg otherwise tries the system bus for every image (absent here; a failed try is not a result)
        out = subprocess.run(["zbarimg", "--nodbus", "--quiet", "--raw", str(image)], capture_output=True, text=True)
        assert out.returncode in (0, 4), out.stderr  # 4: no code found — the count then says which page
        found.update(out.stdout.split())
    return sorted(found)


def test_ten_cards_a_sheet_each_qr_the_volunteers_signed_number(demo_store, tmp_path):
    ctx = Context(store=demo_store)
    twelve = volunteers.search_volunteers(ctx)[:12]
    out = reports.cards_pdf(ctx, tmp_path / "志愿者证.pdf", [v.id for v in twelve])
    first, second = qr_codes(out, tmp_path, 1), qr_codes(out, tmp_path, 2)
    assert len(first) == 10 and len(second) == 2
    with demo_store.session() as session:
        key = signing.public_key(session)
    code = signing.station_code(demo_store.station_id)
    numbers = []
    for text in first + second:
        prefix, card_code, number, signature = text.split("|")
        assert (prefix, card_code) == ("ZYK1", code) and signing.verify(key, card_message(code, number), signature)
        numbers.append(number)
    assert sorted(numbers) == sorted(v.number for v in twelve)


def test_the_command_prints_a_teams_cards(demo_store, tmp_path):
    from app.services import teams

    team = teams.list_teams(Context(store=demo_store))[0].team
    members = teams.team_members(Context(store=demo_store), team.id)
    data = demo_store.paths.root
    demo_store.close()
    out = station(data, "print", "cards", "--team", team.name, "--out", str(tmp_path / "队员证.pdf")).stdout
    assert f"{len(members)} 张" in out
    assert len(qr_codes(tmp_path / "队员证.pdf", tmp_path, 1)) == min(10, len(members))


def test_a_barcode_scanner_signs_the_card_holder_in_then_out(qtbot, demo_store, tmp_path, monkeypatch):
    from datetime import datetime

    from test_ui_print import open_window

    class Clock(datetime):  # the window's clock, moved on by the test
        at = datetime.combine(date.today(), time(9, 2))

        @classmethod
        def now(cls, tz=None):
            return cls.at

    window = open_window(qtbot, demo_store)
    ctx = window.ctx
    event = activities.add_activity(ctx, title="周日集市", category="便民服务", date=date.today(), start_time=time(9), end_time=time(11),
                                    status="planned")
    other_day = activities.add_activity(ctx, title="下周集市", category="便民服务", date=date.today().replace(day=1), start_time=time(9),
                                        end_time=time(11), status="planned")
    monkeypatch.setattr("datetime.datetime", Clock)
    holder = volunteers.search_volunteers(ctx)[3]
    reports.cards_pdf(ctx, tmp_path / "card.pdf", [holder.id])
    [card] = qr_codes(tmp_path / "card.pdf", tmp_path, 1)
    dialog = SigninDialog(ctx, event.id, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.scan.setFocus()

    def scan(text: str) -> str:
        QTest.keyClicks(dialog.scan, text, delay=5)  # a scanner types fast, then Enter
        QTest.keyClick(dialog.scan, Qt.Key.Key_Return)
        return dialog.scan_result.text()

    assert "签到成功" in scan(card) and holder.name in dialog.table.item(0, 0).text()
    assert dialog.scan.text() == ""  # ready for the next card
    assert "不用重复扫码" in scan(card)  # a double beep is not a sign-out with no time served
    Clock.at = datetime.combine(date.today(), time(10, 40))
    assert "签退成功" in scan(card)
    assert "已于 10:40 签退" in scan(card)
    prefix, code, number, signature = card.split("|")
    other = volunteers.search_volunteers(ctx)[4]
    assert "不是本站制作的" in scan(f"{prefix}|{code}|{other.number}|{signature}")  # the number changed on a copy
    assert "这不是志愿者证" in scan("6901234567892")  # a product's barcode
    assert [e.volunteer_id for e in dialog.book.entries(dialog.session_id)] == [holder.id]
    dialog.close()
    if other_day.date != date.today():  # (the 1st of the month has no other day to try)
        elsewhere = SigninDialog(ctx, other_day.id, window)
        elsewhere.show()
        QTest.keyClicks(elsewhere.scan, card, delay=1)
        QTest.keyClick(elsewhere.scan, Qt.Key.Key_Return)
        assert "今天不能为它扫码签到" in elsewhere.scan_result.text()
        elsewhere.close()
    window.idle.stop()


def test_the_volunteers_page_prints_the_selected_volunteers_cards(qtbot, demo_store):
    from test_ui_print import open_window

    window = open_window(qtbot, demo_store, "clerk", "clerk123")
    window.go("volunteers")
    page = window.pages["volunteers"]
    page.table.selectRow(2)
    seen = {}

    def preview(dialog):
        seen["text"] = dialog.document.getAllText(0).text()
        dialog.accept()

    when_modal(preview, kind=PdfPreview)
    qtbot.mouseClick(page.cards_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "text" in seen, timeout=30_000)
    chosen = page.model.row(2).volunteer
    assert "志愿者证" in seen["text"] and chosen.name in seen["text"] and chosen.number in seen["text"]
    window.idle.stop()
