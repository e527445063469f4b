"""The benchmark's bulk dataset is written in exactly the app's shape: the district accepts every row of it."""

from __future__ import annotations

import sys
from pathlib import Path

from app.db import Store
from app.outbox import pending_count
from app.rules import Period, selfcheck
from app.services.context import Context
from sync.client import SyncClient
from sync.server import admin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import generate


def test_small_bulk_dataset_syncs_without_rejections(tmp_path, district_sqlite):
    with Store.open(tmp_path / "bulk") as store:
        counts = generate(store, volunteers=60, activities=40, teams=4, years=1)
        assert counts["participations"] == 160
        assert store.check() == []
        client = SyncClient(store)
        client.enroll(district_sqlite.base, admin.add_station(district_sqlite.engine, "基准村"))
        result = client.sync()
        assert result.rejected == 0 and pending_count(store) == 0
        assert selfcheck(Context(store=store), Period.of(year=2026))  # the evaluator runs on it too
