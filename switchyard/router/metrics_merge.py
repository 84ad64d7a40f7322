"""The metrics of several worker processes as one scrape (pure: snapshots in, exposition out).

Each worker keeps its own registry (no shared memory on the hot path); a scrape of any worker
gathers a snapshot of every worker's registry and merges them: counters and histograms (buckets,
sums and counts) add up, `_created` keeps the earliest, gauges take the maximum per label set
(the revision and key info gauges: a revision any worker serves shows, once) except the gauges
that count something per process, which add up (open connections).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

SUMMED_GAUGES = frozenset({"switchyard_open_connections"})

# [name, type, documentation, unit, [[sample name, labels, value], ...]] per family (JSON-able)
Snapshot = list[list[Any]]


def snapshot(registry: CollectorRegistry) -> Snapshot:
    return [
        [m.name, m.type, m.documentation, m.unit, [[s.name, s.labels, s.value] for s in m.samples]]
        for m in registry.collect()
    ]


def _combine(family: str, kind: str, sample: str, old: float, new: float) -> float:
    if sample.endswith("_created"):
        return min(old, new)
    if kind == "gauge" and family not in SUMMED_GAUGES:
        return max(old, new)
    return old + new


def merge(snapshots: Iterable[Snapshot]) -> list[Metric]:
    """One family per name, samples combined per (sample name, label set), first-seen order."""
    heads: dict[str, tuple[str, str, str]] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for snap in snapshots:
        for name, kind, doc, unit, samples in snap:
            heads.setdefault(name, (kind, doc, unit))
            family = values.setdefault(name, {})
            for sample, labels, value in samples:
                key = (sample, tuple(labels.items()))
                old = family.get(key)
                family[key] = value if old is None else _combine(name, kind, sample, old, value)
    out = []
    for name, (kind, doc, unit) in heads.items():
        metric = Metric(name, doc, kind, unit)
        for (sample, labels), value in values[name].items():
            metric.add_sample(sample, dict(labels), value)
        out.append(metric)
    return out


class _Merged:
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


def render(snapshots: Iterable[Snapshot]) -> bytes:
    """The Prometheus text exposition of the merged snapshots."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged(merge(snapshots)))
    data: bytes = generate_latest(registry)
    return data
