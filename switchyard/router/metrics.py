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
        self._series: dict[tuple[str, str, str], TargetSeries] = {}

    def series(self, group: str, provider: str, model: str) -> TargetSeries:
        """The labelled children of one target, looked up once rather than per request.

        As bounded as the label sets themselves (prometheus keeps every child anyway).
        """
        key = (group, provider, model)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = TargetSeries(self, key)
        return found

    def set_revision(self, revision: str) -> None:
        if self._revision is not None and self._revision != revision:
            self.config_info.remove(self._revision)
        self.config_info.labels(revision=revision).set(1)
        self._revision = revision

    def render(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data


class TargetSeries:
    """Cached children of one (group, provider, model); labels() costs a few microseconds."""

    __slots__ = (
        "_errors", "_lab", "_metrics", "_requests", "_skins", "cost", "duration", "ejections",
        "fallbacks", "tokens_in", "tokens_out", "ttfb", "usage_missing",
    )  # fmt: skip

    def __init__(self, metrics: RouterMetrics, lab: tuple[str, str, str]) -> None:
        self._metrics, self._lab = metrics, lab
        self.duration = metrics.duration.labels(*lab)
        self.ttfb = metrics.ttfb.labels(*lab)
        self.cost = metrics.cost.labels(*lab)
        self.usage_missing = metrics.usage_missing.labels(*lab)
        self.fallbacks = metrics.fallbacks.labels(*lab)
        self.ejections = metrics.ejections.labels(*lab)
        self.tokens_in = metrics.tokens.labels(*lab, "input")
        self.tokens_out = metrics.tokens.labels(*lab, "output")
        self._requests: dict[tuple[str, str], Counter] = {}
        self._errors: dict[str, Counter] = {}
        self._skins: dict[tuple[str, str, str, str], Counter] = {}

    def requests(self, inbound: str, outcome: str) -> Counter:
        key = (inbound, outcome)
        child = self._requests.get(key)
        if child is None:
            child = self._requests[key] = self._metrics.requests.labels(*self._lab, *key)
        return child

    def errors(self, error_class: str) -> Counter:
        child = self._errors.get(error_class)
        if child is None:
            child = self._errors[error_class] = self._metrics.errors.labels(*self._lab, error_class)
        return child

    def skins(self, inbound: str, target_skin: str, bridge: str, outcome: str) -> Counter:
        key = (inbound, target_skin, bridge, outcome)
        child = self._skins.get(key)
        if child is None:
            child = self._skins[key] = self._metrics.skins.labels(*self._lab, *key)
        return child
