"""One caller request's record, and the accounting done when it ends (metrics + usage row)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from switchyard.catalog import (
    BridgeDirection,
    Capability,
    Dialect,
    ErrorClass,
    RequestNeeds,
)
from switchyard.wire import Usage

from .config import TargetView
from .metrics import RouterMetrics
from .usage import UsageSink, priced

NO_ELIGIBLE_TARGET = "NoEligibleTarget"


@dataclass
class Exchange:
    request_id: str
    group: str
    inbound: Dialect
    stream: bool
    started: float = field(default_factory=time.perf_counter)
    target: TargetView | None = None
    bridge: BridgeDirection | None = None
    status: int = 0
    error_class: ErrorClass | None = None
    ttfb: float | None = None
    usage: Usage | None = None  # wire.usage meaning
    attempts: int = 0
    fallback: bool = False
    cap: int | None = None  # the caller's output cap (wire.output_cap), for the cap gate
    upstream_path: str | None = None  # the provider endpoint path the served attempt used
    shape: RequestShape | None = None  # safe buckets of the request's shape, for usage rows

    def first_byte(self) -> None:
        if self.ttfb is None:
            self.ttfb = time.perf_counter() - self.started


def attempt_failed(
    metrics: RouterMetrics, ex: Exchange, target: TargetView, error_class: ErrorClass
) -> None:
    """One upstream attempt ended in error (the request may still fall back)."""
    series = metrics.series(ex.group, target.provider.name, target.model.name)
    series.requests(ex.inbound.value, "error").inc()
    series.errors(error_class.value).inc()


def no_eligible(metrics: RouterMetrics, group: str) -> None:
    metrics.errors.labels(group, "", "", NO_ELIGIBLE_TARGET).inc()


def finish(metrics: RouterMetrics, sink: UsageSink, ex: Exchange) -> None:
    """Close the books on a request: the served target's metrics and one usage row."""
    elapsed = time.perf_counter() - ex.started
    cost = None
    t = ex.target
    usage = ex.usage
    # (an enum's value is a Python-level property: its _value_ is a plain attribute)
    inbound = ex.inbound._value_
    target_skin = t.provider.dialect._value_ if t is not None else None
    bridge = ex.bridge._value_ if ex.bridge is not None else None
    if t is not None and ex.attempts:
        if usage is not None:
            cost = priced(t.prices, usage.input_tokens, usage.output_tokens)
        ok = ex.error_class is None and ex.status < 400
        if (
            ok
            and usage is not None
            and ex.ttfb is not None
            and (ex.cap is None or usage.output_tokens <= ex.cap)
        ):  # the common case, booked in one call
            metrics.served(
                ex.group, t.provider.name, t.model.name, inbound, target_skin or "",
                bridge or "none",
            ).record(elapsed, ex.ttfb, usage.input_tokens, usage.output_tokens,
                     None if cost is None else float(cost))  # fmt: skip
        else:
            _booked(metrics, ex, t, elapsed, ok, cost, inbound, target_skin, bridge)
    if not sink.enabled:
        sink.skip()
        return  # no row to build
    shape = ex.shape
    # the fields of UsageRow, in its order (one dict: a dataclass instance costs more)
    sink.write_fields({
        "ts": time.time(),
        "request_id": ex.request_id,
        "group": ex.group,
        "provider": t.provider.name if t else None,
        "model": t.model.name if t else None,
        "key_id": t.provider.key_id if t else None,
        "inbound_skin": inbound,
        "target_skin": target_skin,
        "bridge_direction": bridge,
        "status": ex.status,
        "error_class": ex.error_class._value_ if ex.error_class else None,
        "latency_ms": round(elapsed * 1000),
        "ttfb_ms": round(ex.ttfb * 1000) if ex.ttfb is not None else None,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cost_usd": str(cost) if cost is not None else None,
        "selected_upstream": t.key if t else None,
        "fallback": ex.fallback,
        "attempts": ex.attempts,
        "stream": ex.stream,
        "upstream_path": ex.upstream_path,
        "messages_bucket": shape.messages if shape else None,
        "tools_bucket": shape.tools if shape else None,
        "has_images": shape.has_images if shape else None,
    })  # fmt: skip


def _booked(metrics: RouterMetrics, ex: Exchange, t: TargetView, elapsed: float, ok: bool,
            cost: Decimal | None, inbound: str, target_skin: str | None,
            bridge: str | None) -> None:  # fmt: skip
    """The metrics of any other outcome, one update each."""
    series = metrics.series(ex.group, t.provider.name, t.model.name)
    series.duration().observe(elapsed)
    outcome = "ok" if ok else "error"
    series.skins(inbound, target_skin or "", bridge or "none", outcome).inc()
    if ex.ttfb is not None:
        series.ttfb().observe(ex.ttfb)
    if ok:
        series.requests(inbound, "ok").inc()
    elif ex.error_class is not None and ex.ttfb is not None:
        # Failed after bytes reached the caller: the attempt's only record is here.
        series.requests(inbound, "error").inc()
        series.errors(ex.error_class.value).inc()
    if ex.usage is not None:
        series.tokens("input").inc(ex.usage.input_tokens)
        series.tokens("output").inc(ex.usage.output_tokens)
        if cost is not None:
            series.cost().inc(float(cost))
        if ok and ex.cap is not None and ex.usage.output_tokens > ex.cap:
            series.cap_exceeded().inc()
    elif ok:
        series.usage_missing().inc()
    if ok and cost is None:
        series.cost_missing().inc()


BUCKETS = ((1, "1"), (4, "2-4"), (16, "5-16"), (64, "17-64"))
# bucket(n) for every n up to the last bound, looked up rather than searched per request
_BUCKETED = ("0", *(next(label for top, label in BUCKETS if n <= top) for n in range(1, 65)))


def bucket(n: int) -> str:
    """A count as a coarse, safe bucket (usage rows never carry exact conversation shapes)."""
    if n <= 0:
        return "0"
    return _BUCKETED[n] if n < len(_BUCKETED) else "65+"


@dataclass(frozen=True, slots=True)
class RequestShape:
    messages: str  # bucket of the conversation's turns (messages / input items)
    tools: str  # bucket of the tools offered
    has_images: bool

    @classmethod
    def of(cls, body: dict[str, object], needs: RequestNeeds) -> RequestShape:
        turns = body.get("messages", body.get("input"))
        tools = body.get("tools")
        return cls(
            messages=bucket(len(turns) if isinstance(turns, list) else 1),
            tools=bucket(len(tools) if isinstance(tools, list) else 0),
            has_images=Capability.IMAGE_INPUT in needs.capabilities,
        )


def wants_usage(require_usage: bool, target: TargetView) -> bool:
    return require_usage and Capability.USAGE in target.model.verified
