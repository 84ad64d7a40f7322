"""The operator's metrics: one registry per operator, every family exposed under its name."""

from __future__ import annotations

from prometheus_client import generate_latest

from switchyard.operator.metrics import OperatorMetrics


def test_metrics_register_without_collisions_and_count() -> None:
    m = OperatorMetrics()
    OperatorMetrics()  # a second operator in the same process has its own registry
    m.reconciles.labels("Provider", "ok").inc()
    m.smoke_runs.labels("JobSucceeded").inc()
    m.smoke_runs_created.inc()
    m.promotion_steps.labels("Promoted").inc()
    m.rollouts.labels("apply").inc()
    m.rollbacks.inc()
    text = generate_latest(m.registry).decode()
    for line in (
        'switchyard_operator_reconciles_total{kind="Provider",result="ok"} 1.0',
        'switchyard_operator_smoke_runs_total{reason="JobSucceeded"} 1.0',
        "switchyard_operator_auto_smoke_runs_total 1.0",
        'switchyard_operator_promotion_steps_total{reason="Promoted"} 1.0',
        'switchyard_operator_router_rollouts_total{action="apply"} 1.0',
        "switchyard_operator_router_rollbacks_total 1.0",
    ):
        assert line in text
