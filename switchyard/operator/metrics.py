"""The operator's own Prometheus metrics, in a registry of their own (no import-time globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter


def _counter(name: str, doc: str, labels: list[str], registry: CollectorRegistry) -> Counter:
    return Counter(name, doc, labels, registry=registry)


@dataclass
class OperatorMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.reconciles = _counter(
            "switchyard_operator_reconciles",
            "Reconciles by kind and result.",
            ["kind", "result"],
            r,
        )
        self.smoke_runs = _counter(
            "switchyard_operator_smoke_runs", "SmokeRuns ended, by reason.", ["reason"], r
        )
        self.smoke_runs_created = _counter(
            "switchyard_operator_auto_smoke_runs",
            "SmokeRuns created for new Provider specs.",
            [],
            r,
        )
        self.promotion_steps = _counter(
            "switchyard_operator_promotion_steps",
            "Promotion transitions, by event reason.",
            ["reason"],
            r,
        )
        self.rollouts = _counter(
            "switchyard_operator_router_rollouts", "Router rollout actions.", ["action"], r
        )
        self.rollbacks = _counter(
            "switchyard_operator_router_rollbacks",
            "Router rollbacks to the last good revision.",
            [],
            r,
        )
