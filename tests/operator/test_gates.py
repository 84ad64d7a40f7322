"""Gates: parsing real prometheus_client output, deltas across scrapes and resets, verdicts."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from switchyard.catalog import Gates
from switchyard.operator.gates import (
    Measurement,
    MetricsParseError,
    TargetKey,
    delta,
    evaluate,
    parse,
    quantile,
)

KEY = TargetKey("g", "p", "m")


class Router:
    """A registry laid out exactly as the router's metrics contract says."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "switchyard_requests",
            "requests",
            ["group", "provider", "model", "inbound", "outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "switchyard_request_errors",
            "errors",
            ["group", "provider", "model", "error_class"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "switchyard_request_duration_seconds",
            "duration",
            ["group", "provider", "model"],
            buckets=(0.1, 0.5, 1, 5, 20, 60),
            registry=self.registry,
        )
        self.usage_missing = Counter(
            "switchyard_usage_missing", "m", ["group", "provider", "model"], registry=self.registry
        )
        self.fallbacks = Counter(
            "switchyard_fallbacks", "f", ["group", "provider", "model"], registry=self.registry
        )

    def serve(
        self, n: int, *, error: bool = False, seconds: float = 0.2, target: TargetKey = KEY
    ) -> None:
        outcome = "error" if error else "ok"
        labels = (target.group, target.provider, target.model)
        self.requests.labels(*labels, "openai-chat", outcome).inc(n)
        for _ in range(n):
            self.duration.labels(*labels).observe(seconds)

    def text(self) -> str:
        return generate_latest(self.registry).decode()


def test_parse_reads_requests_errors_usage_fallbacks_and_buckets() -> None:
    r = Router()
    r.serve(8)
    r.serve(2, error=True, seconds=3)
    r.usage_missing.labels("g", "p", "m").inc(1)
    r.fallbacks.labels("g", "p", "m").inc(2)
    r.errors.labels("g", "", "", "NoEligibleTarget").inc(5)  # no target: ignored
    snap = parse(r.text())
    assert set(snap) == {KEY}
    c = snap[KEY]
    assert (c.requests, c.errors, c.usage_missing, c.fallbacks) == (10, 2, 1, 2)
    assert c.buckets[0.5] == 8
    assert c.buckets[5.0] == 10
    assert c.buckets[float("inf")] == 10


def test_parse_separates_targets_and_groups() -> None:
    r = Router()
    other = TargetKey("h", "p", "m")
    r.serve(3)
    r.serve(4, target=other)
    snap = parse(r.text())
    assert snap[KEY].requests == 3
    assert snap[other].requests == 4


def test_parse_rejects_garbage() -> None:
    with pytest.raises(MetricsParseError):
        parse('switchyard_requests_total{group="g" 1 2 3\n')


def test_delta_is_the_increase_since_the_baseline_summed_over_pods() -> None:
    a, b = Router(), Router()
    a.serve(5)
    b.serve(7)
    before = {"pod-a": parse(a.text()), "pod-b": parse(b.text())}
    a.serve(10)
    b.serve(1, error=True)
    after = {"pod-a": parse(a.text()), "pod-b": parse(b.text())}
    d = delta(before, after)[KEY]
    assert d.requests == 11
    assert d.errors == 1


def test_delta_counts_a_new_pod_fully_and_a_restarted_pod_from_zero() -> None:
    old = Router()
    old.serve(50)
    before = {"pod-a": parse(old.text())}
    restarted, new = Router(), Router()
    restarted.serve(4)  # counters went back to zero, then 4
    new.serve(6)
    after = {"pod-a": parse(restarted.text()), "pod-c": parse(new.text())}
    assert delta(before, after)[KEY].requests == 10


def test_quantile_interpolates_like_prometheus() -> None:
    buckets = {0.1: 0.0, 0.5: 50.0, 1.0: 100.0, float("inf"): 100.0}
    assert quantile(0.95, buckets) == pytest.approx(0.95)
    assert quantile(0.5, buckets) == pytest.approx(0.5)
    assert quantile(0.95, {0.1: 0.0, float("inf"): 0.0}) is None
    assert quantile(0.95, {1.0: 0.0, float("inf"): 10.0}) == 1.0  # beyond the last bound


def test_measurement_p95_from_real_histogram() -> None:
    r = Router()
    r.serve(90, seconds=0.2)
    r.serve(10, seconds=30)
    m = Measurement.from_counters(parse(r.text())[KEY])
    assert m.requests == 100
    assert m.p95_latency_ms is not None
    assert 20000 < m.p95_latency_ms <= 60000


def gates(**kw: object) -> Gates:
    return Gates.model_validate(
        {
            "minRequests": 20,
            "maxErrorRate": "0.02",
            "maxP95LatencyMs": 2000,
            "requireUsage": True,
            "maxFallbackRate": "0.10",
            **kw,
        }
    )


def m(**kw: float | int | None) -> Measurement:
    base: dict[str, float | int | None] = {
        "requests": 100,
        "errors": 0,
        "usage_missing": 0,
        "fallbacks": 0,
        "p95_latency_ms": 500.0,
    }
    base.update(kw)
    return Measurement(**base)  # type: ignore[arg-type]


def test_all_gates_pass() -> None:
    v = evaluate(gates(), m())
    assert v.passed is True
    assert v.reason == "GatesPassed"


def test_below_min_requests_is_no_verdict_not_a_failure() -> None:
    v = evaluate(gates(), m(requests=19, errors=19))
    assert v.passed is None
    assert v.reason == "InsufficientTraffic"


def test_zero_min_requests_still_needs_one_request() -> None:
    assert evaluate(gates(minRequests=0), m(requests=0)).passed is None


@pytest.mark.parametrize(
    ("measure", "needle"),
    [
        ({"errors": 3}, "error rate"),
        ({"p95_latency_ms": 2500.0}, "p95 latency"),
        ({"usage_missing": 1}, "without usage"),
        ({"fallbacks": 11}, "fallback rate"),
    ],
)
def test_each_gate_fails_on_its_own(measure: dict[str, float], needle: str) -> None:
    v = evaluate(gates(), m(**measure))
    assert v.passed is False
    assert v.reason == "GatesFailed"
    assert needle in v.message


def test_limits_are_inclusive() -> None:
    assert evaluate(gates(), m(errors=2, fallbacks=10, p95_latency_ms=2000.0)).passed is True


def test_usage_not_required_ignores_missing_usage() -> None:
    assert evaluate(gates(requireUsage=False), m(usage_missing=50)).passed is True


def test_several_failures_are_all_named() -> None:
    v = evaluate(gates(), m(errors=50, usage_missing=1))
    assert "error rate" in v.message and "without usage" in v.message


def test_cost_and_cap_gates() -> None:
    # caps are honoured by default; the cost gate is opt-in (prices are not always set)
    assert evaluate(gates(), m(cost_missing=5)).passed is True
    v = evaluate(gates(requireCost=True), m(cost_missing=5))
    assert v.passed is False and "5 responses without a cost" in v.message
    v = evaluate(gates(), m(cap_exceeded=1))
    assert v.passed is False and "1 capped responses exceeded their cap" in v.message
    assert evaluate(gates(requireCapsHonored=False), m(cap_exceeded=1)).passed is True


def test_parse_reads_cost_missing_and_cap_exceeded_from_a_real_registry() -> None:
    router = Router()
    labels = ["group", "provider", "model"]
    cost = Counter("switchyard_cost_missing", "c", labels, registry=router.registry)
    cap = Counter("switchyard_cap_exceeded", "c", labels, registry=router.registry)
    router.serve(4)
    cost.labels("g", "p", "m").inc(3)
    cap.labels("g", "p", "m").inc(2)
    measured = Measurement.from_counters(parse(router.text())[KEY])
    assert (measured.cost_missing, measured.cap_exceeded) == (3, 2)
