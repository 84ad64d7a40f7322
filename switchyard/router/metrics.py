"""Prometheus metrics of the router, in a registry of its own (one per app, no globals).

Label values are catalog names and fixed vocabularies only, so every label set is bounded.
The operator's promotion gates read these names; keep them stable.
"""

from __future__ import annotations

from bisect import bisect_left

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

TARGET = ("group", "provider", "model")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class RouterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.pending = Pending()
        r.register(self.pending)  # first: every collect hands the request path's counts over
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
        self.cost_missing = Counter(
            "switchyard_cost_missing",
            "Successful responses that could not be priced (usage or price missing).",
            TARGET, registry=r,
        )  # fmt: skip
        self.cap_exceeded = Counter(
            "switchyard_cap_exceeded",
            "Capped requests whose reported output tokens exceeded the caller's cap.",
            TARGET, registry=r,
        )  # fmt: skip
        self.fallbacks = Counter(
            "switchyard_fallbacks", "Fallbacks away from a failed target.", TARGET, registry=r
        )
        self.ejections = Counter("switchyard_ejections", "Target ejections.", TARGET, registry=r)
        self.reloads = Counter(
            "switchyard_config_reloads", "Config reload attempts.", ["result"], registry=r
        )
        self.provider_key_info = Gauge(
            "switchyard_provider_key_info",
            "The key each provider uses (auth.keyId; never the key).",
            ["provider", "key_id"],
            registry=r,
        )
        self.config_info = Gauge(
            "switchyard_config_info", "The loaded config revision.", ["revision"], registry=r
        )
        # label values: bridge directions and the field names of bridges/policy.py (bounded)
        self.bridge_dropped = Counter(
            "switchyard_bridge_dropped_fields",
            "Request fields a bridge left out because they cannot change the answer, by name.",
            ["bridge_direction", "field"], registry=r,
        )  # fmt: skip
        # Clients (framing and guard): counted, never logged as errors.
        self.client_aborts = Counter(
            "switchyard_client_aborts", "Requests whose client went away, by stage.",
            ["stage"], registry=r,
        )  # fmt: skip
        self.slow_clients = Counter(
            "switchyard_slow_clients", "Connections closed for a slow request head or body.",
            ["stage"], registry=r,
        )  # fmt: skip
        self.connections_refused = Counter(
            "switchyard_connections_refused", "Connections closed at once by a connection cap.",
            ["reason"], registry=r,
        )  # fmt: skip
        self.rejected = Counter(
            "switchyard_rejected_requests",
            "Requests refused before routing (framing, size, depth, route), by reason.",
            ["reason"], registry=r,
        )  # fmt: skip
        self.open_connections = Gauge(
            "switchyard_open_connections", "Client connections open now.", registry=r
        )
        self._revision: str | None = None
        self._series: dict[tuple[str, str, str], TargetSeries] = {}
        self._served: dict[tuple[str, ...], Served] = {}

    def series(self, group: str, provider: str, model: str) -> TargetSeries:
        """The labelled children of one target, looked up once rather than per request.

        As bounded as the label sets themselves (prometheus keeps every child anyway).
        """
        key = (group, provider, model)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = TargetSeries(self, key)
        return found

    def served(self, group: str, provider: str, model: str, inbound: str, target_skin: str,
               bridge: str) -> Served:  # fmt: skip
        """The books of one target's requests served ok with usage and a first byte, from one
        inbound skin through one bridge (`none`)."""
        key = (group, provider, model, inbound, target_skin, bridge)
        found = self._served.get(key)
        if found is None:
            found = self._served[key] = Served(self, key)
        return found

    def set_provider_keys(self, keys: dict[str, str]) -> None:
        """One series per provider naming the key in use (auth.keyId), for rotations."""
        self.provider_key_info.clear()
        for provider, key_id in keys.items():
            self.provider_key_info.labels(provider=provider, key_id=key_id).set(1)

    def set_revision(self, revision: str) -> None:
        if self._revision is not None and self._revision != revision:
            self.config_info.remove(self._revision)
        self.config_info.labels(revision=revision).set(1)
        self._revision = revision

    def render(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data


class Pending(Collector):
    """The request path's counts, added up in plain numbers between scrapes.

    A prometheus child's inc() or observe() takes a lock and a few calls (observe walks the
    buckets in Python), ten of them per request. Tallies add to ints and floats instead, and
    this collector, registered first in the registry, hands them to their children whenever
    the registry is collected (a scrape, a worker's snapshot): what /metrics shows is the same.
    """

    def __init__(self) -> None:
        self.queued: list[Tally | Buckets | Served] = []

    def collect(self) -> list[Metric]:
        queued, self.queued = self.queued, []
        for tally in queued:
            tally.hand_over()
        return []

    def describe(self) -> list[Metric]:
        return []


class Tally:
    """Increments of one counter child, handed over at the next collect."""

    __slots__ = ("_child", "_pending", "_waiting", "amount")

    def __init__(self, child: Counter, pending: Pending) -> None:
        self._child, self._pending = child, pending
        self.amount: float = 0
        self._waiting = False  # queued once until handed over, whatever the amounts

    def inc(self, amount: float = 1) -> None:
        if amount < 0:  # as prometheus refuses it, at once
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        if not self._waiting:
            self._waiting = True
            self._pending.queued.append(self)
        self.amount += amount

    def hand_over(self) -> None:
        amount, self.amount, self._waiting = self.amount, 0, False
        if amount:
            self._child.inc(amount)


class Buckets:
    """Observations of one histogram child, counted per bucket and handed over at the next
    collect into the child's buckets and sum (exactly what observe() adds them to)."""

    __slots__ = ("_bounds", "_child", "_counts", "_pending", "_sum", "_waiting")

    def __init__(self, child: Histogram, pending: Pending) -> None:
        self._child, self._pending = child, pending
        self._bounds: list[float] = child._upper_bounds
        self._counts = [0] * len(self._bounds)
        self._sum = 0.0
        self._waiting = False

    def observe(self, amount: float) -> None:
        if not self._waiting:
            self._waiting = True
            self._pending.queued.append(self)
        self._counts[bisect_left(self._bounds, amount)] += 1  # observe's `amount <= bound`
        self._sum += amount

    def hand_over(self) -> None:
        counts, total = self._counts, self._sum
        self._counts, self._sum, self._waiting = [0] * len(counts), 0.0, False
        child = self._child
        child._sum.inc(total)
        for i, n in enumerate(counts):
            if n:
                child._buckets[i].inc(n)


class TargetSeries:
    """Tallies of one (group, provider, model), each looked up once: labels() costs a few
    microseconds per call. Created on first use, exactly like labels(), so /metrics shows the
    same series as before (no zero-valued children appear early)."""

    __slots__ = ("_children", "_lab", "_m")

    def __init__(self, metrics: RouterMetrics, lab: tuple[str, str, str]) -> None:
        self._m, self._lab = metrics, lab
        self._children: dict[tuple[object, ...], Tally | Buckets] = {}

    def _counter(self, family: Counter, *extra: str) -> Tally:
        key = (family, *extra)
        tally = self._children.get(key)
        if tally is None:
            child = family.labels(*self._lab, *extra)
            tally = self._children[key] = Tally(child, self._m.pending)
        assert isinstance(tally, Tally)
        return tally

    def _histogram(self, family: Histogram) -> Buckets:
        buckets = self._children.get((family,))
        if buckets is None:
            child = family.labels(*self._lab)
            buckets = self._children[(family,)] = Buckets(child, self._m.pending)
        assert isinstance(buckets, Buckets)
        return buckets

    def requests(self, inbound: str, outcome: str) -> Tally:
        return self._counter(self._m.requests, inbound, outcome)

    def errors(self, error_class: str) -> Tally:
        return self._counter(self._m.errors, error_class)

    def skins(self, inbound: str, target_skin: str, bridge: str, outcome: str) -> Tally:
        return self._counter(self._m.skins, inbound, target_skin, bridge, outcome)

    def tokens(self, direction: str) -> Tally:
        return self._counter(self._m.tokens, direction)

    def cost(self) -> Tally:
        return self._counter(self._m.cost)

    def usage_missing(self) -> Tally:
        return self._counter(self._m.usage_missing)

    def fallbacks(self) -> Tally:
        return self._counter(self._m.fallbacks)

    def cost_missing(self) -> Tally:
        return self._counter(self._m.cost_missing)

    def cap_exceeded(self) -> Tally:
        return self._counter(self._m.cap_exceeded)

    def ejections(self) -> Tally:
        return self._counter(self._m.ejections)

    def duration(self) -> Buckets:
        return self._histogram(self._m.duration)

    def ttfb(self) -> Buckets:
        return self._histogram(self._m.ttfb)


class Served:
    """What a request served ok with usage and a first byte adds to up to eight series
    (duration, time to first byte, skin and request counts, tokens both ways, cost or cost
    missing), added up in one call in plain numbers (`record`) and handed over at the next
    collect like a Tally: the same values as one update each, for a fraction of the calls. The
    children are created by the first request, as one update each creates them."""

    __slots__ = ("_bounds", "_children", "_dur", "_key", "_m", "_ttfb", "_waiting", "cost",
                 "dur_sum", "input", "n", "output", "priced", "ttfb_sum", "unpriced")  # fmt: skip

    def __init__(self, metrics: RouterMetrics, key: tuple[str, ...]) -> None:
        self._m, self._key = metrics, key
        self._bounds: list[float] = [*(float(b) for b in LATENCY_BUCKETS), float("inf")]
        self._dur = [0] * len(self._bounds)
        self._ttfb = [0] * len(self._bounds)
        self._children: tuple[Histogram, Counter, Histogram, Counter, Counter, Counter] | None
        self._children = None
        self._waiting = False
        self.n = self.input = self.output = self.priced = self.unpriced = 0
        self.dur_sum = self.ttfb_sum = self.cost = 0.0

    def record(self, elapsed: float, ttfb: float, input_tokens: int, output_tokens: int,
               cost: float | None) -> None:  # fmt: skip
        """One request; tokens are counts (wire.usage: never negative)."""
        if not self._waiting:
            self._waiting = True
            self._m.pending.queued.append(self)
            if self._children is None:
                self._children = self._bind()
        self.n += 1
        bounds = self._bounds
        self._dur[bisect_left(bounds, elapsed)] += 1  # observe's `amount <= bound`
        self.dur_sum += elapsed
        self._ttfb[bisect_left(bounds, ttfb)] += 1
        self.ttfb_sum += ttfb
        self.input += input_tokens
        self.output += output_tokens
        if cost is None:
            self.unpriced += 1
        else:
            self.priced += 1
            self.cost += cost

    def _bind(self) -> tuple[Histogram, Counter, Histogram, Counter, Counter, Counter]:
        m, (group, provider, model, inbound, target_skin, bridge) = self._m, self._key
        lab = (group, provider, model)
        return (
            m.duration.labels(*lab),
            m.skins.labels(*lab, inbound, target_skin, bridge, "ok"),
            m.ttfb.labels(*lab),
            m.requests.labels(*lab, inbound, "ok"),
            m.tokens.labels(*lab, "input"),
            m.tokens.labels(*lab, "output"),
        )

    def hand_over(self) -> None:
        self._waiting = False
        n, self.n = self.n, 0
        if not n or self._children is None:
            return
        duration, skins, ttfb, requests, tokens_in, tokens_out = self._children
        lab = self._key[:3]
        skins.inc(n)
        requests.inc(n)
        tokens_in.inc(self.input)
        tokens_out.inc(self.output)
        if self.priced:
            self._m.cost.labels(*lab).inc(self.cost)
        if self.unpriced:
            self._m.cost_missing.labels(*lab).inc(self.unpriced)
        _observed(duration, self._dur, self.dur_sum)
        _observed(ttfb, self._ttfb, self.ttfb_sum)
        self._dur, self._ttfb = [0] * len(self._dur), [0] * len(self._ttfb)
        self.dur_sum = self.ttfb_sum = self.cost = 0.0
        self.input = self.output = self.priced = self.unpriced = 0


def _observed(child: Histogram, counts: list[int], total: float) -> None:
    """Observations counted per bucket, into a histogram child (as Buckets.hand_over)."""
    child._sum.inc(total)
    for i, n in enumerate(counts):
        if n:
            child._buckets[i].inc(n)
