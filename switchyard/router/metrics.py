"""Prometheus metrics of the router, in a registry of its own (one per app, no globals).

Label values are catalog names and fixed vocabularies only, so every label set is bounded.
The operator's promotion gates read these names; keep them stable.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

TARGET = ("group", "provider", "model")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class RouterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "switchyard_requests", "Upstream attempts by final result.",
            [*TARGET, "inbound", "outcome"], registry=r,
        )  # fmt: skip
        self.skins = Counter(
            "switchyard_skin_requests",
            "Served requests by inbound skin, target skin and bridge (native: none).",
            [*TARGET, "inbound", "target_skin", "bridge_direction", "outcome"], registry=r,
        )  # fmt: skip
        self.errors = Counter(
            "switchyard_request_errors", "Errors by sanitized class.",
            [*TARGET, "error_class"], registry=r,
        )  # fmt: skip
        self.duration = Histogram(
            "switchyard_request_duration_seconds", "Whole request latency.",
            TARGET, buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.ttfb = Histogram(
            "switchyard_time_to_first_byte_seconds", "Time until the first byte to the caller.",
            TARGET, buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.tokens = Counter(
            "switchyard_tokens", "Tokens by direction.", [*TARGET, "direction"], registry=r
        )
        self.cost = Counter("switchyard_cost_usd", "Cost in USD.", TARGET, registry=r)
        self.usage_missing = Counter(
            "switchyard_usage_missing", "Successful responses without usage.", TARGET, registry=r
        )
        self.fallbacks = Counter(
            "switchyard_fallbacks", "Fallbacks away from a failed target.", TARGET, registry=r
        )
        self.ejections = Counter("switchyard_ejections", "Target ejections.", TARGET, registry=r)
        self.reloads = Counter(
            "switchyard_config_reloads", "Config reload attempts.", ["result"], registry=r
        )
        self.config_info = Gauge(
            "switchyard_config_info", "The loaded config revision.", ["revision"], registry=r
        )
        self._revision: str | None = None

    def set_revision(self, revision: str) -> None:
        if self._revision is not None and self._revision != revision:
            self.config_info.remove(self._revision)
        self.config_info.labels(revision=revision).set(1)
        self._revision = revision

    def render(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data
