"""The request path's metric updates are added up between scrapes (metrics.Tally, Buckets) and
handed to prometheus whenever the registry is collected: every read sees what direct updates
would have shown, and nothing piles up while nobody scrapes."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from switchyard.router.metrics import LATENCY_BUCKETS, TARGET, RouterMetrics

LAB = {"group": "g", "provider": "p", "model": "m"}


def test_a_scrape_reads_what_direct_updates_would_show() -> None:
    m = RouterMetrics()
    direct = CollectorRegistry()
    tokens = Counter("switchyard_tokens", "t", [*TARGET, "direction"], registry=direct)
    duration = Histogram("switchyard_request_duration_seconds", "d", TARGET,
                         buckets=LATENCY_BUCKETS, registry=direct)  # fmt: skip
    s = m.series("g", "p", "m")
    for i, seconds in enumerate((0.005, 0.0049, 0.3, 1.0, 400.0, 0.0)):  # bounds, edges, +Inf
        s.tokens("input").inc(i)
        tokens.labels("g", "p", "m", "input").inc(i)
        s.duration().observe(seconds)
        duration.labels("g", "p", "m").observe(seconds)
    ours, theirs = m.render().decode(), generate_latest(direct).decode()
    for name in ("switchyard_tokens_total{", "switchyard_request_duration_seconds_"):
        mine = [x for x in ours.splitlines() if x.startswith(name) and "_created" not in x]
        assert mine and mine == [
            x for x in theirs.splitlines() if x.startswith(name) and "_created" not in x
        ]
    s.tokens("input").inc(5)  # after a collect: counted on top, read by the next one
    assert (
        m.registry.get_sample_value("switchyard_tokens_total", {**LAB, "direction": "input"}) == 20
    )


def test_updates_wait_once_each_and_negative_amounts_fail_at_once() -> None:
    m = RouterMetrics()
    s = m.series("g", "p", "m")
    for _ in range(1000):
        s.cost().inc(0.0)  # a free model: amounts of 0 must not queue the tally again
        s.requests("openai-chat", "ok").inc()
        s.ttfb().observe(0.01)
    assert len(m.pending.queued) == 3
    with pytest.raises(ValueError):
        s.cost().inc(-1)
    m.render()
    assert m.pending.queued == []
