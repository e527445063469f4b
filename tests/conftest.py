"""Shared fixtures: every test gets its own temp data dir; nothing touches the real home."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from app.db import Store
from app.services.context import Context
from app.services.station import init_station


def gb11643_check_char(first17: str) -> str:
    """GB 11643-1999 §7.2, written from the standard's definition, not from the app's table: positions are
    counted from the right with the check digit at i = 1, the weights are W_i = 2^(i-1) mod 11 (so the first of
    the 17 digits, i = 18, weighs 2^17 mod 11 = 7), and the check digit a1 makes Σ a_i·W_i ≡ 1 (mod 11) over
    all 18; a1 = 10 is written X. tests/test_idcard.py checks it against numbers worked by hand."""
    total = sum(int(digit) * pow(2, 17 - n, 11) for n, digit in enumerate(first17))
    a1 = (1 - total) % 11
    return "X" if a1 == 10 else str(a1)


def make_id(born: date = date(1980, 5, 17), seq: int = 123, region: str = "370117") -> str:
    """A valid 18-digit resident ID for tests (odd seq: male, even: female). Its check character comes from
    the standard's definition above, not from the app's ``check_char``, so a wrong table in the app fails
    every test that enters one of these numbers instead of agreeing with itself (#28)."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + gb11643_check_char(first17)


# Every test runs on this day unless it is marked real_clock (Chromium keeps the machine's clock, and so
# do tests that start processes expecting it); Python processes a test starts share the frozen clock.
# `pytest --today 2031-07-15` runs the suite on another day (make test does, for the tests that read
# dates): no test may depend on which (#14).
FROZEN_TODAY = "2027-01-04"  # a January: the year has just turned, last year's figures are "last year"
CLOCK_DIR = Path(__file__).resolve().parent / "clock"


def pytest_addoption(parser):
    parser.addoption("--today", default=FROZEN_TODAY, metavar="YYYY-MM-DD",
                     help="the day every test runs on (time moves on from 09:30 that day); 'real' for the machine's clock")


_clock: dict = {}


def pytest_configure(config):
    """Freeze before collection, so module-level ``date.today()`` in the tests is the frozen day too, and the
    session's fixtures (the demo template) are made on it: data made before a test and during it must not
    straddle two clocks."""
    day = config.getoption("--today")
    if day == "real":
        return
    import datetime as dt
    import time

    import time_machine

    # The machine's real time, even in a process already on the frozen clock (a pytest-xdist worker starts with
    # STATION_TEST_CLOCK from the controller, so tests/clock/sitecustomize.py froze it before this ran).
    hatch = time_machine.escape_hatch
    real_start, mono_start = hatch.time.time() if hatch.is_travelling() else time.time(), time.monotonic()
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9, 30)).astimezone()
    # Processes the tests start run on the same clock (tests/clock/sitecustomize.py).
    os.environ["STATION_TEST_CLOCK"] = f"{start.timestamp()},{real_start}"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CLOCK_DIR), os.environ.get("PYTHONPATH")]))
    _clock["travel"] = time_machine.travel(start, tick=True)
    _clock["travel"].start()
    _clock["real_now"] = lambda: real_start + (time.monotonic() - mono_start)


def pytest_unconfigure(config):
    if "travel" in _clock:
        _clock.pop("travel").stop()


@pytest.fixture(scope="session")
def _frozen_today():
    """The machine's time now, when the session runs on a frozen day; None with --today real."""
    return _clock.get("real_now")


@pytest.fixture(autouse=True)
def _real_clock(request, _frozen_today):
    """A test marked real_clock gets the machine's time back for its duration."""
    if _frozen_today is None or not request.node.get_closest_marker("real_clock"):
        yield
        return
    import datetime as dt

    import time_machine

    clock = os.environ.pop("STATION_TEST_CLOCK", None)
    try:
        with time_machine.travel(dt.datetime.fromtimestamp(_frozen_today()).astimezone(), tick=True):
            yield
    finally:
        if clock is not None:
            os.environ["STATION_TEST_CLOCK"] = clock


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("STATION_DATA_DIR", str(home / "default-data"))


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def store(data_dir):
    with Store.open(data_dir) as opened:
        yield opened


@pytest.fixture
def ctx(store) -> Context:
    init_station(store, name="测试村新时代文明实践站", kind="village", population=1000, street="艾山街道")
    return Context(store=store)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """A demo station built once; tests copy its DB (building takes a second or two)."""
    from app.demo import build_demo
    from app.services import operators

    folder = tmp_path_factory.mktemp("demo-template")
    with Store.open(folder) as demo:
        build_demo(demo, years=1, seed=2022)
        operators.create_first_admin(demo, username="admin", display_name="杨红霞", password="admin123")
        ctx = Context(store=demo, actor=operators.authenticate(demo, "admin", "admin123"))
        operators.create_operator(ctx, username="clerk", display_name="王录入", role="clerk", password="clerk123")
        target = folder / "template.db"
        demo.backup(to=target)
    return target


@pytest.fixture
def demo_store(demo_template, data_dir):
    import shutil

    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, data_dir / "station.db")
    with Store.open(data_dir) as opened:
        yield opened


@pytest.fixture(scope="session", autouse=True)
def _app_fonts(qapp):
    """UI tests render with the app's own fonts, style and Chinese Qt strings, as on a village PC, and run
    with the program's own garbage collector: automatic collection off, cycles collected on a timer in the
    GUI thread whenever a test's event loop runs — so a lifetime bug in the program (#25: a closed dialog
    freed by the collector) fails the test that reaches it, as it would end the program."""
    from ui import style
    from ui.workers import install_garbage_collector, share_the_gil_with_the_gui

    style.apply(qapp)
    install_garbage_collector(qapp)
    share_the_gil_with_the_gui()


STUCK_MODAL_S = 60


@pytest.fixture(autouse=True)
def _no_window_waits_for_good(request):
    """A modal window nobody answers (a box a test did not expect, opened inside a timer slot that cannot fire
    again) would hang the suite for good: pytest-timeout cannot interrupt Qt's modal loop. One that stays in front
    for STUCK_MODAL_S is closed and fails its test, naming the window, instead (ui_helpers.watch_modals)."""
    from ui_helpers import end_pollers, watch_modals

    if "qtbot" not in request.fixturenames:
        yield
        end_pollers()
        return
    watch, stuck = watch_modals(STUCK_MODAL_S)
    yield
    watch.stop()
    end_pollers()
    if stuck:
        pytest.fail(f"a window stayed up for {STUCK_MODAL_S} s with nobody to answer it: {stuck}")


@pytest.fixture(autouse=True)
def _collect_after_each_test():
    """The collector's tick for tests that run no event loop (automatic collection is off, as in the
    program): each test's cycles are collected at its end, on the GUI thread, as the program's timer would."""
    import gc

    yield
    gc.collect()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Once a test is over and pytest has let go of its fixtures' values, what they leave as garbage is collected
    (a window a fixture made is freed by the collector here, as the program's would be), and what is still alive
    then is frozen, as the program freezes what is alive once its window is up (``GuiThreadGarbageCollector.settle``):
    the next test's collections walk only what that test makes. Without the freeze each collection walked
    everything the session had kept (imports, the libraries' caches, pytest's own records: a million objects
    halfway through) and took 0.5–0.9 s, half the suite's time."""
    import gc

    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def postgres():
    from sync_helpers import Postgres

    server = Postgres()
    yield server
    server.stop()


def _district(request, tmp_path, backend: str):
    from sync_helpers import DistrictServer, district_key_file

    url = f"sqlite:///{tmp_path / 'district.db'}" if backend == "sqlite" else request.getfixturevalue("postgres").new_database()
    # Photos in the database, as deployed; the person link key (#30) where this test's `station district` commands
    # read it.
    server = DistrictServer(url, key_file=district_key_file())
    server.start()
    return server


@pytest.fixture(params=["sqlite", "postgresql"])
def district_engine(request, tmp_path):
    """An empty district database (no server), on SQLite and on a real PostgreSQL."""
    from sync.server.db import make_engine

    url = f"sqlite:///{tmp_path / 'district.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres").new_database()
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def district(request, tmp_path):
    """The real district server on 127.0.0.1, on SQLite and on a real PostgreSQL."""
    server = _district(request, tmp_path, request.param)
    yield server
    server.close()


@pytest.fixture
def district_sqlite(request, tmp_path):
    server = _district(request, tmp_path, "sqlite")
    yield server
    server.close()
