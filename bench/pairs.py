"""Alternated pairs: one way every figure of ``make bench`` is measured against its floor (#29).

A single run beside a single floor swung 1.1–5× on this 2-core machine, so each figure here is ``pairs`` pairs
of (ours, bare) measured in the same process, the bare one first in odd pairs and ours first in even ones (so
a slow patch of the machine falls on both alike). Each side of a pair is the median of ``repeat`` runs, for
work of a few milliseconds. The line printed names the median of each side, the median ratio, its spread, the
load before and after, and a verdict: a spread wider than ``WIDE`` says the machine was too busy to judge
rather than passing or failing the goal.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

WIDE = 1.5  # largest/smallest ratio of the pairs beyond which a figure is not judged


@dataclass
class Paired:
    name: str
    ours: list[float]  # seconds, one per pair
    bare: list[float]
    load: tuple[float, float]  # 1-minute load average before and after

    @property
    def ratios(self) -> list[float]:
        return [o / b if b > 0 else float("inf") for o, b in zip(self.ours, self.bare, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> float:
        low, high = min(self.ratios), max(self.ratios)
        return high / low if 0 < low and high < float("inf") else float("inf")

    def verdict(self, goal: float | None) -> str:
        """Against a goal for the ratio: every pair within it is met, every pair past it missed, whatever the spread;
        between, the median decides unless the spread is too wide to trust it."""
        if goal is not None and max(self.ratios) <= goal:
            return "goal met"
        if goal is not None and min(self.ratios) > goal:
            return "GOAL MISSED"
        if self.spread > WIDE:
            return "spread too wide to judge (the machine is busy): run again when it is quiet"
        if goal is None:
            return "no goal"
        return "goal met" if self.ratio <= goal else "GOAL MISSED"

    def within(self, seconds: float) -> str:
        """For an absolute goal (a page within 500 ms): met when every pair is within it and missed when none is,
        whatever the spread; between, the median of ours decides unless ours spread too wide (the floor's own noise
        does not count here: a 2 ms ping's jitter says nothing of a 400 ms page)."""
        if max(self.ours) <= seconds:
            return "met"
        if min(self.ours) > seconds:
            return "MISSED"
        if min(self.ours) <= 0 or max(self.ours) / min(self.ours) > WIDE:
            return "spread too wide to judge (the machine is busy): run again when it is quiet"
        return "met" if statistics.median(self.ours) <= seconds else "MISSED"

    def line(self, unit: str = "ms", goal: float | None = None) -> str:
        scale, digits = (1000, 2) if unit == "ms" else (1, 2)
        ours, bare = statistics.median(self.ours) * scale, statistics.median(self.bare) * scale
        ratios = self.ratios
        judged = f"goal ≤ {goal:g}×: {self.verdict(goal)}" if goal is not None else self.verdict(None)
        return (f"{self.name}: {ours:.{digits}f} {unit}; bare {bare:.{digits}f} {unit}; ratio median {self.ratio:.2f}× "
                f"(spread {min(ratios):.2f}–{max(ratios):.2f}×, {len(ratios)} pairs; {judged}); "
                f"load {self.load[0]:.1f} → {self.load[1]:.1f}")


def _once(fn: Callable[[], object], repeat: int, reset: Callable[[], object] | None) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        if reset is not None:
            reset()
    return statistics.median(samples)


def paired(name: str, ours: Callable[[], object], bare: Callable[[], object], *, pairs: int = 5, repeat: int = 1,
           warm: bool = True, reset: Callable[[], object] | None = None) -> Paired:
    """Measure ``ours`` against ``bare`` in ``pairs`` alternated pairs (each side the median of ``repeat`` runs);
    ``warm`` runs each once first, untimed, so neither pays for cold caches the other does not; ``reset``, if
    given, runs untimed after every run of either side (to take out what a write wrote, say)."""
    if pairs < 1 or repeat < 1:
        raise ValueError("pairs and repeat must be at least 1")
    load_before = os.getloadavg()[0]
    if warm:
        for fn in (bare, ours):
            fn()
            if reset is not None:
                reset()
    mine, floor = [], []
    for n in range(pairs):
        if n % 2 == 0:
            floor.append(_once(bare, repeat, reset))
            mine.append(_once(ours, repeat, reset))
        else:
            mine.append(_once(ours, repeat, reset))
            floor.append(_once(bare, repeat, reset))
    return Paired(name, mine, floor, (load_before, os.getloadavg()[0]))


def report(name: str, ours: Callable[[], object], bare: Callable[[], object], *, unit: str = "ms",
           goal: float | None = None, **kwargs) -> Paired:
    """``paired`` and print its line."""
    result = paired(name, ours, bare, **kwargs)
    print(result.line(unit, goal), flush=True)
    return result
