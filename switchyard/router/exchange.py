"""One caller request's record, and the accounting done when it ends (metrics + usage row)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from switchyard.catalog import BridgeDirection, Capability, Dialect, ErrorClass

from .config import TargetView
from .metrics import RouterMetrics
from .usage import UsageRow, UsageSink, cost_usd

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
    usage: tuple[int, int] | None = None
    attempts: int = 0
    fallback: bool = False

    def first_byte(self) -> None:
        if self.ttfb is None:
            self.ttfb = time.perf_counter() - self.started


def labels(group: str, target: TargetView) -> tuple[str, str, str]:
    return group, target.provider.name, target.model.name


def attempt_failed(
    metrics: RouterMetrics, ex: Exchange, target: TargetView, error_class: ErrorClass
) -> None:
    """One upstream attempt ended in error (the request may still fall back)."""
    lab = labels(ex.group, target)
    metrics.requests.labels(*lab, ex.inbound.value, "error").inc()
    metrics.errors.labels(*lab, error_class.value).inc()


def no_eligible(metrics: RouterMetrics, group: str) -> None:
    metrics.errors.labels(group, "", "", NO_ELIGIBLE_TARGET).inc()


def finish(metrics: RouterMetrics, sink: UsageSink, ex: Exchange) -> None:
    """Close the books on a request: the served target's metrics and one usage row."""
    elapsed = time.perf_counter() - ex.started
    cost = None
    t = ex.target
    if t is not None and ex.attempts:
        lab = labels(ex.group, t)
        ok = ex.error_class is None and ex.status < 400
        metrics.duration.labels(*lab).observe(elapsed)
        bridge = ex.bridge.value if ex.bridge else "none"
        skins = (ex.inbound.value, t.provider.dialect.value, bridge, "ok" if ok else "error")
        metrics.skins.labels(*lab, *skins).inc()
        if ex.ttfb is not None:
            metrics.ttfb.labels(*lab).observe(ex.ttfb)
        if ok:
            metrics.requests.labels(*lab, ex.inbound.value, "ok").inc()
        elif ex.error_class is not None and ex.ttfb is not None:
            # Failed after bytes reached the caller: the attempt's only record is here.
            metrics.requests.labels(*lab, ex.inbound.value, "error").inc()
            metrics.errors.labels(*lab, ex.error_class.value).inc()
        if ex.usage is not None:
            metrics.tokens.labels(*lab, "input").inc(ex.usage[0])
            metrics.tokens.labels(*lab, "output").inc(ex.usage[1])
            cost = cost_usd(t.model.pricing, *ex.usage)
            if cost is not None:
                metrics.cost.labels(*lab).inc(float(cost))
        elif ok:
            metrics.usage_missing.labels(*lab).inc()
    sink.write(
        UsageRow(
            ts=time.time(),
            request_id=ex.request_id,
            group=ex.group,
            provider=t.provider.name if t else None,
            model=t.model.name if t else None,
            inbound_skin=ex.inbound.value,
            target_skin=t.provider.dialect.value if t else None,
            bridge_direction=ex.bridge.value if ex.bridge else None,
            status=ex.status,
            error_class=ex.error_class.value if ex.error_class else None,
            latency_ms=round(elapsed * 1000),
            ttfb_ms=round(ex.ttfb * 1000) if ex.ttfb is not None else None,
            input_tokens=ex.usage[0] if ex.usage else None,
            output_tokens=ex.usage[1] if ex.usage else None,
            cost_usd=str(cost) if cost is not None else None,
            selected_upstream=t.key if t else None,
            fallback=ex.fallback,
            attempts=ex.attempts,
            stream=ex.stream,
        )
    )


def wants_usage(require_usage: bool, target: TargetView) -> bool:
    return require_usage and Capability.USAGE in target.model.verified
