"""The operator's own Prometheus metrics, in a registry of their own (no import-time globals).

The alerts and the dashboard under deploy/ read these names; keep them stable. Label values are
catalog names and fixed vocabularies only, so every label set is bounded by the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge

from switchyard.catalog import ModelStatus, Stage, TargetStatus

TARGET = ["namespace", "group", "provider", "model"]


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
        self.confirmations = _counter(
            "switchyard_operator_rollback_confirmations",
            "Post-rollback confirmation requests, by result (Served, Failed).",
            ["result"],
            r,
        )
        self.reconcile_errors = _counter(
            "switchyard_operator_reconcile_errors",
            "Reconciles that raised (kopf retries them with back-off), by kind.",
            ["kind"],
            r,
        )
        self.smoke_outcomes = _counter(
            "switchyard_operator_smoke_run_outcomes",
            "Ended SmokeRuns by outcome: succeeded (every task ran and passed) or failed.",
            ["namespace", "outcome"],
            r,
        )
        self.evidence_time = Gauge(
            "switchyard_operator_evidence_timestamp_seconds",
            "Unix time of the newest passing smoke row behind a provider model's evidence.",
            ["namespace", "provider", "model"],
            registry=r,
        )
        self.target_stage = Gauge(
            "switchyard_operator_target_stage",
            "1 for the promotion stage a ModelGroup target is in, 0 for the other stages.",
            [*TARGET, "stage"],
            registry=r,
        )
        self.desired_weight = Gauge(
            "switchyard_operator_target_desired_weight",
            "A target's weight in spec.",
            TARGET,
            registry=r,
        )
        self.effective_weight = Gauge(
            "switchyard_operator_target_effective_weight",
            "The weight the router uses for a target now (0 unless promoted).",
            TARGET,
            registry=r,
        )
        self._targets: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._evidence: dict[tuple[str, str], set[str]] = {}

    def record_group(self, namespace: str, group: str, targets: Sequence[TargetStatus]) -> None:
        """Stage and weights of every target; targets no longer listed lose their series."""
        seen = {(t.provider, t.model) for t in targets}
        for provider, model in self._targets.get((namespace, group), set()) - seen:
            self._remove_target(namespace, group, provider, model)
        self._targets[(namespace, group)] = seen
        for t in targets:
            labels = (namespace, group, t.provider, t.model)
            for stage in Stage:
                self.target_stage.labels(*labels, stage.value).set(int(t.stage is stage))
            self.desired_weight.labels(*labels).set(t.desired_weight)
            self.effective_weight.labels(*labels).set(t.effective_weight)

    def forget_group(self, namespace: str, group: str) -> None:
        for provider, model in self._targets.pop((namespace, group), set()):
            self._remove_target(namespace, group, provider, model)

    def _remove_target(self, namespace: str, group: str, provider: str, model: str) -> None:
        labels = (namespace, group, provider, model)
        for stage in Stage:
            self.target_stage.remove(*labels, stage.value)
        self.desired_weight.remove(*labels)
        self.effective_weight.remove(*labels)

    def record_evidence(self, namespace: str, provider: str, models: Sequence[ModelStatus]) -> None:
        """Newest passing proof per model; a model without any proof has no series."""
        newest: dict[str, float] = {}
        for m in models:
            times = [p.at for c in m.verified.capabilities() if (p := m.verified.proof(c)) and p.at]
            if times:
                newest[m.name] = max(times).timestamp()
        for gone in self._evidence.get((namespace, provider), set()) - set(newest):
            self.evidence_time.remove(namespace, provider, gone)
        self._evidence[(namespace, provider)] = set(newest)
        for model, at in newest.items():
            self.evidence_time.labels(namespace, provider, model).set(at)
