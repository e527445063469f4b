"""The district server on a machine without Qt (#27): a headless Debian/统信UOS/麒麟 server installs the district
extra, never PySide6 (651 MB). Here PySide6 is made unimportable in the server's own processes, as on such a
machine, and the server still migrates, serves and answers /healthz; `station` alone says in Chinese that this
install has no desktop app."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
import requests
import uvicorn

from app import __version__
from sync import protocol
from sync.server.app import create_app
from sync.server.db import make_engine
from sync_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_the_district_install_does_not_pull_qt():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    qt = lambda requirements: [r for r in requirements if r.lower().startswith("pyside6")]
    assert qt(project["dependencies"]) == [] and qt(project["optional-dependencies"]["district"]) == []
    assert len(qt(project["optional-dependencies"]["desktop"])) == 2  # Essentials and Addons, pinned
    assert all("==" in r for r in qt(project["optional-dependencies"]["desktop"]))
    assert project["version"] == __version__  # the installed metadata is this checkout's


@pytest.fixture
def no_qt(tmp_path) -> dict:
    """The environment of a process (and of every process it starts) where `import PySide6` fails."""
    blocker = tmp_path / "no-qt"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['PySide6'] = None  # not installed here\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(ROOT)]), "QT_QPA_PLATFORM": "offscreen"}


def station(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_blocker_really_blocks_qt(no_qt):
    done = subprocess.run([sys.executable, "-c", "import PySide6"], env=no_qt, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr


def test_the_server_migrates_serves_and_answers_healthz_without_qt(no_qt, tmp_path):
    folder = tmp_path / "district"
    migrated = station(no_qt, "district", "--dir", str(folder), "migrate")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "district", "--dir", str(folder), "serve", "--port", str(port),
                             "--workers", "2"], cwd=ROOT, env=no_qt, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-3000:]
            try:
                health = requests.get(base + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the district server did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "version": __version__, "protocol": protocol.PROTOCOL_VERSION, "database": "ok"}
        assert health.headers["cache-control"] == "no-store"
        login = requests.get(base + "/login", timeout=10)
        assert login.status_code == 200 and f"区级服务 {__version__}" in login.text  # the version in every page's footer
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stderr.close()


def test_station_alone_says_this_install_has_no_desktop(no_qt, tmp_path):
    done = station(no_qt, "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 2
    assert "没有桌面程序" in done.stderr and "station-ledger[desktop]" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "district" in station(no_qt, "--help").stdout


def test_healthz_names_a_database_that_does_not_answer():
    """A PostgreSQL that is down (nothing listens on its port): 503 and the cause, not a hang or a 500."""
    engine = make_engine(f"postgresql+psycopg://station:x@127.0.0.1:{free_port()}/district?connect_timeout=2")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["status"] == "error" and "无法连接数据库" in answer.json()["database"]


def test_the_district_lock_and_wheel_install_into_a_fresh_venv_without_qt(tmp_path):
    """The district's own install, as docs/deploy.md has it: the locked dependencies (hashes checked), then the
    program's wheel — into a new virtual environment. Qt is not there, and the server migrates and answers."""
    lock = ROOT / "requirements" / "linux-py311" / "district.lock"
    assert "pyside6" not in lock.read_text(encoding="utf-8").lower()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("station_ledger-*.whl"))
    assert wheel.name.startswith(f"station_ledger-{__version__}-")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    # Away from the checkout (its station_ledger.egg-info, on the path of `python -m pip` run there or through
    # PYTHONPATH, reads as this package installed already) — as on the district's server.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    for step in (["--require-hashes", "-r", str(lock)], ["--no-deps", str(wheel)]):
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *step], capture_output=True, text=True,
                              timeout=600, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (venv / "bin" / "station").is_file()
    qt = subprocess.run([str(python), "-c", "import PySide6"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert qt.returncode != 0 and "No module named 'PySide6'" in qt.stderr
    station = venv / "bin" / "station"
    migrated = subprocess.run([str(station), "district", "--dir", str(tmp_path / "d"), "migrate"], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=300)
    assert migrated.returncode == 0 and "最新结构" in migrated.stdout, migrated.stderr[-2000:]
    alone = subprocess.run([str(station)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert alone.returncode == 2 and "没有桌面程序" in alone.stderr
    version = subprocess.run([str(station), "--version"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert version.stdout.strip() == f"station-ledger {__version__}"


def test_every_dependency_in_pyproject_is_in_its_lock():
    """A dependency added to pyproject.toml without `make lock` would install unpinned, or not at all (#27)."""
    import re

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = lambda requirement: re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]).lower()
    base = [name(r) for r in project["dependencies"]]
    extras = {extra: [name(r) for r in reqs if not r.startswith("station-ledger")]
              for extra, reqs in project["optional-dependencies"].items()}
    wanted = {"desktop": base + extras["desktop"], "district": base + extras["district"],
              "dev": base + extras["desktop"] + extras["district"] + extras["dev"]}
    for lock_name, names in wanted.items():
        text = (ROOT / "requirements" / "linux-py311" / f"{lock_name}.lock").read_text(encoding="utf-8")
        locked = {line.split("==")[0] for line in text.splitlines() if "==" in line}
        assert set(names) <= locked, (lock_name, set(names) - locked)
        assert text.count("--hash=sha256:") == len(locked)  # every package with its file's hash
