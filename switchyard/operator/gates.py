"""Live-traffic gates: router /metrics text -> per-target counters -> deltas -> a verdict.

Pure. Counters are kept per pod so a pod restart (its counters back to zero) is read the way
Prometheus reads a counter reset: the new value is the increase since the reset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from prometheus_client.parser import text_string_to_metric_families

from switchyard.catalog import Gates, SwitchyardError

REQUESTS = "switchyard_requests_total"
USAGE_MISSING = "switchyard_usage_missing_total"
FALLBACKS = "switchyard_fallbacks_total"
COST_MISSING = "switchyard_cost_missing_total"
CAP_EXCEEDED = "switchyard_cap_exceeded_total"
DURATION_BUCKET = "switchyard_request_duration_seconds_bucket"


# plain per-target counters, by metric name -> Counters field
COUNTED = {
    USAGE_MISSING: "usage_missing",
    FALLBACKS: "fallbacks",
    COST_MISSING: "cost_missing",
    CAP_EXCEEDED: "cap_exceeded",
}
READ = frozenset({REQUESTS, DURATION_BUCKET, *COUNTED})


@dataclass(frozen=True, order=True)
class TargetKey:
    group: str
    provider: str
    model: str


@dataclass
class Counters:
    """What the gates read for one target: request outcomes, usage, fallbacks, latency buckets."""

    requests: float = 0.0
    errors: float = 0.0
    usage_missing: float = 0.0
    fallbacks: float = 0.0
    cost_missing: float = 0.0
    cap_exceeded: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)  # le (seconds) -> cumulative count

    def minus(self, earlier: Counters) -> Counters:
        """Increase since `earlier`; a counter that went down was reset and counts from zero."""
        if self.requests < earlier.requests:
            return self
        return Counters(
            requests=_inc(self.requests, earlier.requests),
            errors=_inc(self.errors, earlier.errors),
            usage_missing=_inc(self.usage_missing, earlier.usage_missing),
            fallbacks=_inc(self.fallbacks, earlier.fallbacks),
            cost_missing=_inc(self.cost_missing, earlier.cost_missing),
            cap_exceeded=_inc(self.cap_exceeded, earlier.cap_exceeded),
            buckets={le: _inc(v, earlier.buckets.get(le, 0.0)) for le, v in self.buckets.items()},
        )

    def plus(self, other: Counters) -> Counters:
        les = set(self.buckets) | set(other.buckets)
        return Counters(
            requests=self.requests + other.requests,
            errors=self.errors + other.errors,
            usage_missing=self.usage_missing + other.usage_missing,
            fallbacks=self.fallbacks + other.fallbacks,
            cost_missing=self.cost_missing + other.cost_missing,
            cap_exceeded=self.cap_exceeded + other.cap_exceeded,
            buckets={
                le: self.buckets.get(le, 0.0) + other.buckets.get(le, 0.0) for le in sorted(les)
            },
        )


def _inc(now: float, before: float) -> float:
    return now - before if now >= before else now


Snapshot = dict[TargetKey, Counters]
# pod name -> that pod's snapshot
PodSnapshots = Mapping[str, Snapshot]


class MetricsParseError(SwitchyardError, ValueError):
    """The scraped text is not Prometheus exposition format."""


def parse(text: str) -> Snapshot:
    """One router pod's /metrics text -> counters per (group, provider, model)."""
    out: Snapshot = {}
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, TypeError, IndexError) as exc:
        raise MetricsParseError(f"not Prometheus text exposition: {type(exc).__name__}") from exc
    for family in families:
        for sample in family.samples:
            labels = sample.labels
            if sample.name not in READ:
                continue
            key = TargetKey(
                labels.get("group", ""), labels.get("provider", ""), labels.get("model", "")
            )
            if not key.provider:
                continue  # NoEligibleTarget rows name no target
            c = out.setdefault(key, Counters())
            value = float(sample.value)
            if sample.name == REQUESTS:
                c.requests += value
                if labels.get("outcome") == "error":
                    c.errors += value
            elif sample.name in COUNTED:
                setattr(c, COUNTED[sample.name], getattr(c, COUNTED[sample.name]) + value)
            else:
                le = float(labels.get("le", "+Inf"))
                c.buckets[le] = c.buckets.get(le, 0.0) + value
    return out


def delta(before: PodSnapshots, after: PodSnapshots) -> Snapshot:
    """Increase per target between two scrapes of every router pod, summed over pods.

    A pod missing from `before` started inside the window, so all its counts belong to it; a pod
    missing from `after` is gone and its last window is lost (undercounting, never inventing).
    """
    total: Snapshot = {}
    for pod, snap in after.items():
        earlier = before.get(pod, {})
        for key, counters in snap.items():
            inc = counters.minus(earlier.get(key, Counters()))
            total[key] = total[key].plus(inc) if key in total else inc
    return total


def quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """histogram_quantile over cumulative buckets (seconds); None without observations."""
    ordered = sorted(buckets.items())
    if not ordered or ordered[-1][1] <= 0:
        return None
    total = ordered[-1][1]
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in ordered:
        if count >= rank:
            if math.isinf(le):
                return prev_le  # like Prometheus: the highest finite bound
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


@dataclass(frozen=True)
class Measurement:
    """One interval of one target's traffic, as the gates see it."""

    requests: int
    errors: int
    usage_missing: int
    fallbacks: int
    p95_latency_ms: float | None
    cost_missing: int = 0
    cap_exceeded: int = 0

    @classmethod
    def from_counters(cls, c: Counters) -> Measurement:
        p95 = quantile(0.95, c.buckets)
        return cls(
            requests=round(c.requests),
            errors=round(c.errors),
            usage_missing=round(c.usage_missing),
            fallbacks=round(c.fallbacks),
            p95_latency_ms=None if p95 is None else p95 * 1000.0,
            cost_missing=round(c.cost_missing),
            cap_exceeded=round(c.cap_exceeded),
        )


@dataclass(frozen=True)
class Verdict:
    """passed None: too little traffic to judge (not a failure, the window keeps growing)."""

    passed: bool | None
    reason: str
    message: str


def evaluate(gates: Gates, m: Measurement) -> Verdict:
    """Judge one interval; the message lists every failed gate with its figure and limit."""
    if m.requests < max(gates.min_requests, 1):
        return Verdict(
            None,
            "InsufficientTraffic",
            f"{m.requests} requests in the window, {gates.min_requests} needed",
        )
    failed: list[str] = []
    error_rate = Decimal(m.errors) / Decimal(m.requests)
    if error_rate > Decimal(gates.max_error_rate):
        failed.append(f"error rate {error_rate:.4f} > {gates.max_error_rate}")
    if m.p95_latency_ms is not None and m.p95_latency_ms > gates.max_p95_latency_ms:
        failed.append(f"p95 latency {m.p95_latency_ms:.0f}ms > {gates.max_p95_latency_ms}ms")
    if gates.require_usage and m.usage_missing > 0:
        failed.append(f"{m.usage_missing} responses without usage")
    if gates.require_cost and m.cost_missing > 0:
        failed.append(f"{m.cost_missing} responses without a cost (usage or price missing)")
    if gates.require_caps_honored and m.cap_exceeded > 0:
        failed.append(f"{m.cap_exceeded} capped responses exceeded their cap")
    fallback_rate = Decimal(m.fallbacks) / Decimal(m.requests)
    if fallback_rate > Decimal(gates.max_fallback_rate):
        failed.append(f"fallback rate {fallback_rate:.4f} > {gates.max_fallback_rate}")
    if failed:
        return Verdict(False, "GatesFailed", "; ".join(failed))
    return Verdict(True, "GatesPassed", f"{m.requests} requests, all gates passed")
