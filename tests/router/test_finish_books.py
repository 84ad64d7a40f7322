"""finish(): the common outcome (served ok, with usage and a first byte) is booked in one call
(metrics.Served); every outcome must read on /metrics exactly as one update each would, and
the usage row as UsageRow writes it."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import orjson
import pytest

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass, RouterSettings
from switchyard.router.config import TargetView, load_config
from switchyard.router.exchange import Exchange, _booked, finish
from switchyard.router.metrics import RouterMetrics
from switchyard.router.usage import UsageRow, UsageSink, priced
from switchyard.wire import Usage
from tests.router.harness import G, T, build, evidence, provider


def _target(tmp_path: Path) -> TargetView:
    p = provider("up", "http://127.0.0.1:9/v1", Dialect.OPENAI_CHAT, models={"m": "up-m"},
                 auth="none")  # fmt: skip
    (tmp_path / "c.json").write_text(build([p], [G("g", [T("up")])], [evidence(p)],
                                           RouterSettings()).to_json())  # fmt: skip
    return load_config(tmp_path / "c.json", tmp_path).groups["g"].targets[0]


def _exchanges(t: TargetView) -> list[Exchange]:
    out = []
    cases = itertools.product(
        (200, 502), (None, ErrorClass.UPSTREAM_ERROR), (None, 0.01, 7.0),
        (None, Usage(3, 5), Usage(0, 0), Usage(10, 900)), (None, 100), (None, BridgeDirection.RESPONSES_TO_CHAT),
    )  # fmt: skip
    for i, (status, error, ttfb, usage, cap, bridge) in enumerate(cases):
        ex = Exchange(f"r{i}", "g", Dialect.OPENAI_CHAT, stream=i % 2 == 0, cap=cap)
        ex.target, ex.status, ex.error_class, ex.ttfb, ex.usage = t, status, error, ttfb, usage
        ex.bridge, ex.attempts = bridge, 1
        out.append(ex)
    return out


def _lines(m: RouterMetrics) -> list[str]:
    return sorted(x for x in m.render().decode().splitlines() if "_created" not in x)


def test_one_call_books_read_as_one_update_each(tmp_path: Path) -> None:
    t = _target(tmp_path)
    fast, slow = RouterMetrics(), RouterMetrics()
    sink = UsageSink("none")
    for round_ in range(3):  # scrapes between requests hand over what waited
        for ex in _exchanges(t):
            sink.begin()
            finish(fast, sink, ex)
            ok = ex.error_class is None and ex.status < 400
            elapsed = 0.0  # finish measures its own: compared below without durations
            cost = priced(t.prices, *ex.usage[:2]) if ex.usage else None
            inbound, skin = ex.inbound.value, t.provider.dialect.value
            _booked(slow, ex, t, elapsed, ok, cost, inbound, skin,
                    ex.bridge.value if ex.bridge else None)  # fmt: skip
        if round_:
            fast.render()
            slow.render()

    def comparable(m: RouterMetrics) -> dict[str, float]:
        samples = [x.rsplit(" ", 1) for x in _lines(m) if not x.startswith("#")]
        return {k: float(v) for k, v in samples if "request_duration" not in k}

    # (sums of floats added in another order may differ in the last digits)
    assert comparable(fast) == pytest.approx(comparable(slow), rel=1e-12)
    count = "switchyard_request_duration_seconds_count"
    assert [x for x in _lines(fast) if x.startswith(count)] == [
        x for x in _lines(slow) if x.startswith(count)
    ]


def test_the_row_is_usage_rows_json(tmp_path: Path) -> None:
    t = _target(tmp_path)
    path = tmp_path / "usage.jsonl"
    sink = UsageSink(str(path))
    exchanges = _exchanges(t)[:40]
    for ex in exchanges:
        sink.begin()
        finish(RouterMetrics(), sink, ex)
    sink.close()
    names = [f.name for f in dataclasses.fields(UsageRow)]
    for line in path.read_bytes().splitlines():
        row = orjson.loads(line)
        assert list(row) == names
        assert orjson.dumps(UsageRow(**row)) == line
