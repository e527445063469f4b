"""Generated requests against every endpoint of the real district server, driven by its OpenAPI document
(what schemathesis does, with Hypothesis directly): bodies from the declared schemas and beyond them,
path and query values, headers with and without a token. The server must never answer 5xx."""

from __future__ import annotations

import gzip
import json

import pytest
import requests

from sync_helpers import staff_login
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import SYNCED_MODELS
from sync import protocol
from sync.client import load_state
from sync.server import admin
from test_sync import enroll

COLUMNS = sorted({c.name for m in SYNCED_MODELS for c in m.__table__.columns})
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=40) | \
    st.sampled_from(["2026-11-30", "25:61:00", "9999-12-31T23:59:59-23:59", "\ud800", "\x00", "庄" * 300, "1e400"])
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)


def from_schema(schema: dict, station_id: str):
    """Values that follow the schema most of the time, and anything at all some of the time."""
    kind = schema.get("type")
    if "enum" in schema:
        good = st.sampled_from(schema["enum"])
    elif kind == "object" and schema.get("properties"):
        props = schema["properties"]
        good = st.fixed_dictionaries({k: from_schema(v, station_id) for k, v in props.items() if k in schema.get("required", ())},
                                     optional={k: from_schema(v, station_id) for k, v in props.items() if k not in schema.get("required", ())})
    elif kind == "object":  # a row's payload: real column names, the real station id, anything as values
        good = st.dictionaries(st.sampled_from(COLUMNS) | st.text(max_size=8), scalars, max_size=12).map(
            lambda d: {**d, "station_id": station_id} if d.get("station_id") is None else d)
    elif kind == "array":
        good = st.lists(from_schema(schema.get("items", {}), station_id), max_size=4)
    elif kind == "integer":
        good = st.integers(-(2**40), 2**40) | st.sampled_from([0, 1, 2**31, 2**63])
    elif kind == "string" and schema.get("format") == "binary":
        good = st.binary(max_size=200)
    elif kind == "string":
        good = st.text(max_size=60) | st.sampled_from([station_id, "a" * 36, "²"])
    else:
        good = junk
    return st.one_of(good, good, good, junk)


@pytest.fixture
def fuzz_target(district, ctx):
    enroll(ctx.store, district)
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    spec = staff_login(district.base).get(district.base + "/openapi.json", timeout=10).json()
    return district, ctx.store.station_id, load_state(ctx.store).token, spec


def operations(spec: dict):
    for path, methods in sorted(spec["paths"].items()):
        for method, op in methods.items():
            yield path, method.upper(), op


def test_every_endpoint_never_answers_5xx(fuzz_target):
    district, station_id, token, spec = fuzz_target
    ops = list(operations(spec))
    assert {(p, m) for p, m, _ in ops} >= {(protocol.BATCHES, "POST"), (protocol.ENROLL, "POST"), (protocol.PULL, "GET"),
                                          (protocol.ROWS, "GET"), (protocol.FILES + "/{sha}", "PUT"), (protocol.FILES + "/{sha}", "HEAD")}
    seen: dict[int, int] = {}
    staff = staff_login(district.base)
    pages = ["/district", "/district/evaluation", "/district/evaluation.xlsx", "/district/demands", "/district/demands.xlsx", "/district/packages",
             "/district/stations/add", "/district/station/{id}"]

    @st.composite
    def request(draw):
        if draw(st.integers(0, 9)) == 0:  # a staff page with anything in its query
            path = draw(st.sampled_from(pages)).replace("{id}", draw(st.text(max_size=30) | st.integers(-(2**70), 2**70).map(str)))
            params = draw(st.dictionaries(st.sampled_from(["year", "month", "sent", "withdrawn", "p", "street", "sort", "done", "x"]),
                                          st.text(max_size=12), max_size=3))
            return ("staff", "GET", path, params, None, {})
        path, method, op = draw(st.sampled_from(ops))
        for name in [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]:
            path = path.replace("{" + name + "}", draw(st.text(alphabet="0123456789abcdef", min_size=60, max_size=66) | st.text(max_size=70)).replace("/", "_") or "x")
        params = {p["name"]: draw(st.text(max_size=40)) for p in op.get("parameters", []) if p["in"] == "query" and draw(st.booleans())}
        body, headers = None, {}
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            value = draw(from_schema(content["application/json"]["schema"], station_id))
            raw = json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
            if draw(st.booleans()):
                raw, headers["Content-Encoding"] = gzip.compress(raw), "gzip"
            body = raw
        elif "application/octet-stream" in content:
            body = draw(st.binary(max_size=300))
        headers[protocol.HEADER_PROTOCOL] = draw(st.sampled_from(["1", "1", "0", "²", "99999999999", ""]))
        if draw(st.integers(0, 4)):
            headers["Authorization"] = f"Bearer {token}"
        return ("api", method, path, params, body, headers)

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(request())
    def run(case):
        who, method, path, params, body, headers = case
        session = staff if who == "staff" else requests
        answer = session.request(method, district.base + path, params=params, data=body,
                                 headers={k: v.encode("utf-8", "surrogatepass") if isinstance(v, str) and not v.isascii() else v
                                          for k, v in headers.items()}, timeout=30)
        seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
        assert answer.status_code < 500, (method, path, params, (body or b"")[:200], answer.text[:300])

    run()
    print(f"\nresponses by status: {dict(sorted(seen.items()))}")
    assert sum(n for s, n in seen.items() if s == 200) > 10  # the generator reached the handlers, not only the gates
