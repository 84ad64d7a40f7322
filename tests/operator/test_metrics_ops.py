"""Operator metrics the alerts and dashboard read: stage and weights per target, evidence time,
smoke outcomes, reconcile errors; series of removed targets disappear (no stale alerts)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prometheus_client import generate_latest

from switchyard.catalog import ModelStatus, Stage, TargetStatus
from switchyard.catalog.provider import Proof, Verified
from switchyard.operator.handlers.common import counted
from switchyard.operator.metrics import OperatorMetrics


def text(m: OperatorMetrics) -> str:
    return generate_latest(m.registry).decode()


def value(m: OperatorMetrics, name: str, **labels: str) -> float | None:
    found: float | None = m.registry.get_sample_value(name, labels)
    return found


def test_target_stage_and_weights_follow_the_group_and_vanish_with_it() -> None:
    m = OperatorMetrics()
    limited = TargetStatus(
        provider="up", model="m", stage=Stage.LIMITED, desired_weight=40, effective_weight=20
    )
    other = TargetStatus(provider="up", model="n", stage=Stage.ROLLED_BACK, desired_weight=10)
    m.record_group("llm", "chat", [limited, other])
    t = {"namespace": "llm", "group": "chat", "provider": "up", "model": "m"}
    assert value(m, "switchyard_operator_target_stage", **t, stage="Limited") == 1
    assert value(m, "switchyard_operator_target_stage", **t, stage="Active") == 0
    assert value(m, "switchyard_operator_target_effective_weight", **t) == 20
    assert value(m, "switchyard_operator_target_desired_weight", **t) == 40
    n = {**t, "model": "n"}
    assert value(m, "switchyard_operator_target_stage", **n, stage="RolledBack") == 1
    m.record_group("llm", "chat", [limited])  # target n left the spec
    assert 'model="n"' not in text(m)
    m.forget_group("llm", "chat")
    assert "switchyard_operator_target_stage{" not in text(m)


def test_evidence_time_is_the_newest_passing_proof() -> None:
    m = OperatorMetrics()
    old, new = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    verified = Verified(text=Proof(smoke_run="a", at=old), tools=Proof(smoke_run="b", at=new))
    models = [ModelStatus(name="m", verified=verified), ModelStatus(name="none")]
    m.record_evidence("llm", "up", models)
    name = "switchyard_operator_evidence_timestamp_seconds"
    assert value(m, name, namespace="llm", provider="up", model="m") == new.timestamp()
    assert 'model="none"' not in text(m)
    m.record_evidence("llm", "up", [ModelStatus(name="m")])  # evidence gone for a new spec
    assert f"{name}{{" not in text(m)


def test_a_raising_reconcile_is_counted_and_still_raises() -> None:
    m = OperatorMetrics()

    class Ctx:
        metrics = m

    async def broken(**_: object) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(counted("Provider", broken)(memo={"ctx": Ctx()}))
    assert 'switchyard_operator_reconcile_errors_total{kind="Provider"} 1.0' in text(m)
