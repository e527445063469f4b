"""The package as pip installs it from a wheel (the district server's install, docs/deploy.md): not the
checkout. Everything the product reads from resources/ must be in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pypdf
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.real_clock  # the installed `station` runs in its own processes, on the machine's clock
def test_a_wheel_carries_the_resources_and_works_installed(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("station_ledger-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("resources/rules/wuyou.toml", "resources/national/mapping.toml", "resources/fonts/wqy-microhei.ttc",
                   "resources/fonts/LICENSE-Apache-2.0.txt", "resources/THIRD-PARTY-NOTICES.txt", "resources/manual/manual.pdf",
                   "app/migrations/versions/0006_volunteer_hours.py",
                   "sync/server/migrations/versions/d0007_package_imports.py"):
        assert needed in names, needed
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    # Run from elsewhere with only the installed copy on the path (the venv's other packages stay reachable).
    env = {**os.environ, "PYTHONPATH": str(target), "QT_QPA_PLATFORM": "offscreen"}
    probe = ("import app, app.rules, app.exchange.national, app.reports.common as c, sync.server.db as d;"
             "assert str(app.__file__).startswith(%r), app.__file__;"
             "print(len(app.rules.load_rules()), app.exchange.national.load_mapping().sheet, c.FONT_DIR.joinpath('wqy-microhei.ttc').is_file())")
    out = subprocess.run([sys.executable, "-c", probe % str(target)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    rules, sheet, font = out.stdout.split()
    assert int(rules) > 10 and sheet == "志愿服务记录" and font == "True"

    # The commands a district and a station run, from the installed copy (resources read through importlib.resources).
    def station(*args: str) -> str:
        code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
        assert done.returncode == 0, (args, done.stdout[-1000:], done.stderr[-2000:])
        assert "Traceback" not in done.stdout + done.stderr
        return done.stdout

    data, today = tmp_path / "station-data", date.today()
    station("--data-dir", str(data), "demo")
    assert "五有" in station("--data-dir", str(data), "selfcheck")
    ledger = tmp_path / "台账.pdf"
    station("--data-dir", str(data), "print", "ledger", "--year", str(today.year), "--month", str(today.month), "--out", str(ledger))
    reader = pypdf.PdfReader(ledger)
    assert len(reader.pages) >= 2 and "活动台账" in reader.pages[0].extract_text().replace(" ", "")
    fonts = {str(f.get_object()["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any("WenQuanYi" in name for name in fonts)
    station("district", "--data-dir", str(tmp_path / "district"), "migrate")
    station("district", "--data-dir", str(tmp_path / "district"), "evaluate")
