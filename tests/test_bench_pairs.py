"""bench/pairs.py: how every figure of ``make bench`` is measured against its floor (#29) — alternated pairs,
the median ratio, its spread, and no verdict when the spread is too wide to judge."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pairs
from bench.pairs import Paired


def test_the_two_sides_alternate_which_goes_first_and_each_runs_repeat_times():
    calls: list[str] = []
    pairs.paired("x", lambda: calls.append("ours"), lambda: calls.append("bare"), pairs=4, repeat=2, warm=True)
    assert calls[:2] == ["bare", "ours"]  # warmed once each, untimed
    timed = calls[2:]
    assert timed == (["bare"] * 2 + ["ours"] * 2 + ["ours"] * 2 + ["bare"] * 2) * 2


def test_each_side_of_a_pair_is_the_median_of_its_runs(monkeypatch):
    clock = iter([0.0, 1.0, 10.0, 10.5, 20.0, 29.0,  # bare: 1.0, 0.5, 9.0 → median 1.0
                  30.0, 32.0, 40.0, 43.0, 50.0, 52.0])  # ours: 2.0, 3.0, 2.0 → median 2.0
    monkeypatch.setattr(pairs.time, "perf_counter", lambda: next(clock))
    result = pairs.paired("x", lambda: None, lambda: None, pairs=1, repeat=3, warm=False)
    assert result.bare == [1.0] and result.ours == [2.0] and result.ratio == 2.0


def test_the_ratio_is_the_median_of_the_pairs_and_the_spread_their_range():
    result = Paired("x", ours=[2.0, 3.0, 2.2, 2.4, 2.1], bare=[1.0, 1.0, 1.0, 1.0, 1.0], load=(1.0, 1.2))
    assert result.ratio == pytest.approx(2.2)
    assert result.spread == pytest.approx(1.5)
    assert result.verdict(3) == "goal met"
    assert result.verdict(2) == "GOAL MISSED"
    line = result.line("s", 3)
    assert "ratio median 2.20×" in line and "spread 2.00–3.00×, 5 pairs" in line and "load 1.0 → 1.2" in line


def test_a_spread_too_wide_is_judged_only_when_every_pair_falls_on_one_side():
    wide = Paired("x", ours=[1.0, 1.6, 1.0], bare=[1.0, 1.0, 1.0], load=(3.0, 3.0))
    assert wide.spread == pytest.approx(1.6)
    assert wide.verdict(1.2).startswith("spread too wide") and "goal met" not in wide.line("ms", 1.2)
    assert wide.verdict(None).startswith("spread too wide")
    assert wide.verdict(100) == "goal met"  # every pair within the goal: met however noisy
    assert wide.verdict(0.5) == "GOAL MISSED"  # every pair past it: missed however noisy


def test_a_bare_side_of_no_time_does_not_divide_by_zero():
    result = Paired("x", ours=[1.0, 1.0], bare=[0.0, 1.0], load=(0.0, 0.0))
    assert result.ratio == float("inf") and result.verdict(2).startswith("spread too wide")


def test_fewer_than_one_pair_is_refused():
    with pytest.raises(ValueError):
        pairs.paired("x", lambda: None, lambda: None, pairs=0)


def test_a_reset_runs_untimed_after_every_run_of_either_side():
    calls: list[str] = []
    pairs.paired("x", lambda: calls.append("ours"), lambda: calls.append("bare"), pairs=2, repeat=1, warm=False,
                 reset=lambda: calls.append("reset"))
    assert calls == ["bare", "reset", "ours", "reset", "ours", "reset", "bare", "reset"]


def test_an_absolute_goal_is_judged_on_our_median_unless_the_spread_is_too_wide():
    steady = Paired("x", ours=[0.40, 0.45, 0.42], bare=[0.002, 0.002, 0.002], load=(1.0, 1.0))
    assert steady.within(0.5) == "met" and steady.within(0.41) == "MISSED"
    noisy = Paired("x", ours=[0.1, 0.6, 0.2], bare=[0.002, 0.002, 0.002], load=(1.0, 1.0))
    assert noisy.within(0.5).startswith("spread too wide")
    assert noisy.within(0.7) == "met" and noisy.within(0.05) == "MISSED"  # every pair on one side of the goal


def test_a_noisy_floor_does_not_stop_an_absolute_goal_being_judged():
    jittery_ping = Paired("x", ours=[0.40, 0.41, 0.42], bare=[0.001, 0.003, 0.002], load=(1.0, 1.0))
    assert jittery_ping.spread > 1.5 and jittery_ping.within(0.5) == "met"
