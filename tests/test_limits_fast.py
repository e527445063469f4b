"""``row_problems`` lets plainly fine values through inline and sends the rest to ``_problem`` (#29: it runs on every
row the district receives). Its answer must always be ``_problem``'s, column by column: values generated at and
around every edge the inline path decides on — lengths at the limit, whole numbers at the range's ends, bools
where numbers go, NUL and lone surrogates in text, ``StrEnum`` members, floats that are not finite, None where
none is allowed — on every synced table, read from the app and from the wire."""

from __future__ import annotations

from datetime import date, datetime, time

from hypothesis import HealthCheck, given, settings, strategies as st

from app.models import SYNCED_MODELS
from app.models.enums import DemandState
from app.models.limits import BOOKKEEPING, _problem, row_problems, table_spec

TABLES = [model.__table__ for model in SYNCED_MODELS]


def oracle(table, values: dict, wire: bool) -> dict[str, str]:
    """Column by column, as ``row_problems`` was written before the inline path."""
    return {name: message for name, spec in table_spec(table).items()
            if name not in BOOKKEEPING and name in values and (message := _problem(spec, values[name], wire))}


def edge_values(spec) -> st.SearchStrategy:
    """What a column might be given: its own edges first, then anything."""
    edges: list = [None, True, False, 0, -1, 1.5, float("nan"), float("inf"), "", "甲", "a\x00b", "\ud800", "\udfff文",
                   DemandState.ordered, date(2026, 1, 15), datetime(2026, 1, 15, 8, 30), time(8, 30), "2026-01-15",
                   "2026-02-30", "08:30", [], {}]
    if spec.length is not None:
        edges += ["字" * spec.length, "字" * (spec.length + 1), "a" * spec.length, "a" * (spec.length + 1),
                  "字" * (spec.length - 1) + "\ud800"]
    if spec.kind in ("int", "float"):
        edges += [spec.low, spec.high, spec.low - 1, spec.high + 1, int(spec.high) + 1, float(spec.high)]
    return st.one_of(st.sampled_from(edges), st.text(max_size=8), st.integers(), st.floats())


@st.composite
def rows(draw):
    table = draw(st.sampled_from(TABLES))
    specs = [spec for name, spec in table_spec(table).items() if name not in BOOKKEEPING]
    chosen = draw(st.lists(st.sampled_from(specs), unique_by=lambda spec: spec.name, min_size=1))
    return table, {spec.name: draw(edge_values(spec)) for spec in chosen}


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.booleans())
def test_row_problems_answers_as_problem_does_for_every_column(row, wire):
    table, values = row
    assert row_problems(table, values, wire=wire) == oracle(table, values, wire)


def test_the_edges_are_told_apart():
    """The inline path's own edges, by hand: at the limit passes, one past it is named."""
    volunteer = next(t for t in TABLES if t.name == "volunteer")
    activity = next(t for t in TABLES if t.name == "activity")
    name_limit = table_spec(volunteer)["name"].length
    assert row_problems(volunteer, {"name": "字" * name_limit}) == {}
    assert "不能超过" in row_problems(volunteer, {"name": "字" * (name_limit + 1)})["name"]
    assert "无法保存" in row_problems(volunteer, {"name": "张\x00三"})["name"]
    assert "无法保存" in row_problems(volunteer, {"name": "张\ud800"})["name"]
    assert row_problems(volunteer, {"name": DemandState.ordered}) == {}  # a StrEnum member is text
    served = table_spec(activity)["served_count"]
    assert row_problems(activity, {"served_count": served.high}) == {}
    assert "应在" in row_problems(activity, {"served_count": served.high + 1})["served_count"]
    assert "应为整数" in row_problems(activity, {"served_count": True})["served_count"]
    assert "应为整数" in row_problems(activity, {"served_count": 3.0})["served_count"]
