"""The promotion state machine, exhaustively: every stage, every way in and out, restarts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from switchyard.catalog import (
    Capability,
    ModelGroupSpec,
    ModelStatus,
    Proof,
    ProviderModel,
    Stage,
    Target,
    TargetStatus,
    Verified,
)
from switchyard.catalog.vocabulary import AccessFailure
from switchyard.operator.gates import Measurement
from switchyard.operator.promotion import Inputs, decide, group_conditions
from tests.catalog.factories import T0

STEPS = [5, 25, 50, 100]
GOOD = Measurement(requests=100, errors=0, usage_missing=0, fallbacks=0, p95_latency_ms=300.0)
BAD = Measurement(requests=100, errors=50, usage_missing=0, fallbacks=0, p95_latency_ms=300.0)
QUIET = Measurement(requests=3, errors=3, usage_missing=3, fallbacks=3, p95_latency_ms=99999.0)
INTERVAL = timedelta(minutes=5)


def spec(**overrides: Any) -> ModelGroupSpec:
    body: dict[str, Any] = {
        "strategy": "weighted",
        "targets": [{"provider": "p", "model": "m", "weight": 40}],
        "promotion": {"steps": STEPS, "interval": "5m", "failureThreshold": 2},
    }
    body.update(overrides)
    return ModelGroupSpec.model_validate(body)


def evidence(*caps: Capability, runs: tuple[str, ...] = ("run-1",), **extra: Any) -> ModelStatus:
    verified = Verified(**{_snake(c.value): Proof(smoke_run=runs[-1]) for c in caps})
    return ModelStatus(name="m", verified=verified, smoke_runs=list(runs), **extra)


def _snake(camel: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


MODEL = ProviderModel(name="m", model="up/m")
PROVEN = evidence(Capability.TEXT, Capability.TOOLS)


def inputs(current: TargetStatus | None = None, **kw: Any) -> Inputs:
    s = kw.pop("spec", None) or spec()
    base = Inputs(
        spec=s,
        generation=kw.pop("generation", 1),
        target=kw.pop("target", s.targets[0]),
        current=current,
        evidence=kw.pop("evidence", PROVEN),
        provider_model=kw.pop("provider_model", MODEL),
        measurement=kw.pop("measurement", GOOD),
        now=kw.pop("now", T0),
        retry=kw.pop("retry", None),
    )
    return replace(base, **kw)


def run_ticks(start: TargetStatus | None, ticks: int, **kw: Any) -> TargetStatus:
    """Decide `ticks` times, one interval apart, feeding each output back in."""
    status = start
    now = kw.pop("now", T0)
    for _ in range(ticks):
        status = decide(inputs(status, now=now, **kw)).status
        now += INTERVAL
    assert status is not None
    return status


def limited(step: int, failures: int = 0, at: Any = T0) -> TargetStatus:
    return TargetStatus(
        provider="p",
        model="m",
        stage=Stage.LIMITED,
        step=step,
        desired_weight=40,
        effective_weight=40 * STEPS[step] // 100,
        failures=failures,
        last_step_time=at,
        evidence_run="run-1",
        generation=1,
    )


# --- CatalogOnly: no weight without evidence -------------------------------------------------


def test_new_target_without_evidence_is_catalog_only() -> None:
    d = decide(inputs(None, evidence=None))
    assert d.status.stage is Stage.CATALOG_ONLY
    assert d.status.effective_weight == 0
    assert d.status.reason == "EvidenceMissing"
    assert d.status.desired_weight == 40


def test_missing_required_capability_keeps_catalog_only() -> None:
    s = spec(promotion={"steps": STEPS, "requiredCapabilities": ["text", "streaming"]})
    d = decide(inputs(limited(1), spec=s))
    assert d.status.stage is Stage.CATALOG_ONLY
    assert d.status.reason == "EvidenceMissing"
    assert "streaming" in d.events[0].message


def test_text_is_always_required_even_if_not_listed() -> None:
    s = spec(promotion={"steps": STEPS, "requiredCapabilities": ["tools"]})
    d = decide(inputs(None, spec=s, evidence=evidence(Capability.TOOLS)))
    assert d.status.stage is Stage.CATALOG_ONLY


def test_allow_list_hides_evidence_outside_it() -> None:
    model = ProviderModel(name="m", model="up/m", allow=[Capability.TOOLS])
    d = decide(inputs(None, provider_model=model))
    assert d.status.stage is Stage.CATALOG_ONLY
    assert d.status.inactive_tool_support == ["text"]


def test_proven_and_allowed_capabilities_are_not_inactive() -> None:
    model = ProviderModel(name="m", model="up/m", allow=[Capability.TEXT])
    d = decide(inputs(None, provider_model=model))
    assert d.status.stage is Stage.SMOKE_ONLY
    assert d.status.inactive_tool_support == ["tools"]


def test_unknown_provider_model_is_catalog_only() -> None:
    d = decide(inputs(None, provider_model=None))
    assert d.status.stage is Stage.CATALOG_ONLY
    assert d.status.reason == "TargetNotFound"


@pytest.mark.parametrize("failure", list(AccessFailure))
def test_access_failure_blocks_even_with_passing_evidence(failure: AccessFailure) -> None:
    ev = evidence(Capability.TEXT, access_failure=failure)
    d = decide(inputs(limited(2), evidence=ev, now=T0 + INTERVAL))
    assert d.status.stage is Stage.CATALOG_ONLY
    assert d.status.effective_weight == 0
    assert d.status.reason == "AccessBlocked"
    assert d.events[0].type == "Warning"
    assert failure.value in d.events[0].message


# --- the ladder ------------------------------------------------------------------------------


def test_evidence_moves_catalog_only_to_smoke_only_with_no_weight() -> None:
    d = decide(inputs(None))
    assert d.status.stage is Stage.SMOKE_ONLY
    assert d.status.effective_weight == 0
    assert d.status.last_step_time == T0
    assert d.window_reset
    assert [e.reason for e in d.events] == ["EvidenceVerified"]


def test_smoke_only_waits_one_interval_then_limited_step_zero() -> None:
    first = decide(inputs(None)).status
    early = decide(inputs(first, now=T0 + INTERVAL - timedelta(seconds=1)))
    assert early.status.stage is Stage.SMOKE_ONLY
    assert not early.window_reset
    later = decide(inputs(first, now=T0 + INTERVAL)).status
    assert later.stage is Stage.LIMITED
    assert later.step == 0
    assert later.effective_weight == 40 * 5 // 100


def test_full_ladder_one_step_per_passing_interval() -> None:
    status: TargetStatus | None = None
    seen = []
    now = T0
    for _ in range(7):
        status = decide(inputs(status, now=now)).status
        seen.append((status.stage, status.step, status.effective_weight))
        now += INTERVAL
    assert seen == [
        (Stage.SMOKE_ONLY, 0, 0),
        (Stage.LIMITED, 0, 2),
        (Stage.LIMITED, 1, 10),
        (Stage.LIMITED, 2, 20),
        (Stage.LIMITED, 3, 40),
        (Stage.ACTIVE, 3, 40),
        (Stage.ACTIVE, 3, 40),
    ]


def test_not_due_changes_nothing_and_is_idempotent() -> None:
    current = limited(1, at=T0)
    d = decide(inputs(current, now=T0 + INTERVAL / 2))
    assert d.status == current.model_copy(update={"eligibility_skin": None})
    assert not d.events and not d.window_reset
    again = decide(inputs(d.status, now=T0 + INTERVAL / 2))
    assert again.status == d.status


def test_deciding_twice_at_the_same_instant_never_steps_twice() -> None:
    now = T0 + INTERVAL
    once = decide(inputs(limited(0), now=now)).status
    twice = decide(inputs(once, now=now)).status
    assert once.step == twice.step == 1


def test_restart_resumes_from_status_without_skipping_or_repeating() -> None:
    # An operator that restarts has no baseline scrape: measurement None.
    current = limited(1, at=T0)
    after_restart = decide(inputs(current, now=T0 + 3 * INTERVAL, measurement=None))
    assert after_restart.status.step == 1  # no skip although three intervals passed
    assert after_restart.status.reason == "AwaitingMetrics"
    assert not after_restart.window_reset
    nxt = decide(inputs(after_restart.status, now=T0 + 4 * INTERVAL)).status
    assert nxt.step == 2  # exactly one step, not three


def test_insufficient_traffic_holds_and_keeps_window_open() -> None:
    d = decide(inputs(limited(1), now=T0 + INTERVAL, measurement=QUIET))
    assert d.status.step == 1
    assert d.status.failures == 0
    assert d.status.reason == "InsufficientTraffic"
    assert d.status.last_step_time == T0
    assert not d.window_reset


def test_desired_weight_change_rescales_effective_weight_at_once() -> None:
    s = spec(targets=[{"provider": "p", "model": "m", "weight": 200}])
    d = decide(inputs(limited(1), spec=s, now=T0 + timedelta(seconds=1)))
    assert d.status.desired_weight == 200
    assert d.status.effective_weight == 200 * 25 // 100


def test_zero_desired_weight_gives_zero_effective() -> None:
    target = Target(provider="p", model="m", weight=0)
    d = decide(inputs(limited(2), target=target, now=T0 + INTERVAL))
    assert d.status.effective_weight == 0


# --- failures and rollback -------------------------------------------------------------------


def test_one_failed_interval_holds_the_step_and_counts() -> None:
    d = decide(inputs(limited(2), now=T0 + INTERVAL, measurement=BAD))
    assert d.status.stage is Stage.LIMITED
    assert d.status.step == 2
    assert d.status.failures == 1
    assert d.status.effective_weight == 20
    assert d.window_reset
    assert d.events[0].reason == "GatesFailed"
    assert "1/2" in d.events[0].message


def test_a_pass_resets_the_failure_count() -> None:
    d = decide(inputs(limited(2, failures=1), now=T0 + INTERVAL))
    assert d.status.failures == 0
    assert d.status.step == 3


def test_threshold_failures_in_a_row_roll_back() -> None:
    d = decide(inputs(limited(2, failures=1), now=T0 + INTERVAL, measurement=BAD))
    assert d.status.stage is Stage.ROLLED_BACK
    assert d.status.effective_weight == 0
    assert d.status.reason == "GatesFailed"
    assert d.events[0].type == "Warning"
    assert "error rate" in d.events[0].message


def test_active_target_is_still_gated_and_can_roll_back() -> None:
    active = limited(3).model_copy(update={"stage": Stage.ACTIVE, "effective_weight": 40})
    status = run_ticks(active, 2, now=T0 + INTERVAL, measurement=BAD)
    assert status.stage is Stage.ROLLED_BACK


def test_rolled_back_stays_put_on_good_traffic_and_time() -> None:
    rolled = decide(inputs(limited(2, failures=1), now=T0 + INTERVAL, measurement=BAD)).status
    status = run_ticks(rolled, 5, now=T0 + 2 * INTERVAL)
    assert status.stage is Stage.ROLLED_BACK
    assert status.effective_weight == 0


def rolled_back() -> TargetStatus:
    return decide(inputs(limited(2, failures=1), now=T0 + INTERVAL, measurement=BAD)).status


def test_new_evidence_ends_rollback() -> None:
    ev = evidence(Capability.TEXT, runs=("run-1", "run-2"))
    d = decide(inputs(rolled_back(), evidence=ev, now=T0 + 2 * INTERVAL))
    assert d.status.stage is Stage.SMOKE_ONLY
    assert d.status.failures == 0
    assert d.events[0].reason == "Retried"
    assert "new evidence" in d.events[0].message


def test_new_generation_ends_rollback() -> None:
    d = decide(inputs(rolled_back(), generation=2, now=T0 + 2 * INTERVAL))
    assert d.status.stage is Stage.SMOKE_ONLY
    assert "new generation" in d.events[0].message


def test_retry_annotation_change_ends_rollback_once() -> None:
    d = decide(inputs(rolled_back(), retry="2026-11-20", now=T0 + 2 * INTERVAL))
    assert d.status.stage is Stage.SMOKE_ONLY
    assert d.status.retry_token == "2026-11-20"
    # the same value again is not a new retry
    again = decide(inputs(d.status, retry="2026-11-20", now=T0 + 2 * INTERVAL))
    assert again.status.stage is Stage.SMOKE_ONLY
    assert not again.events


def test_retry_value_present_from_the_start_is_not_a_retry() -> None:
    first = decide(inputs(None, retry="x")).status
    assert first.retry_token == "x"
    rolled = first.model_copy(update={"stage": Stage.ROLLED_BACK, "evidence_run": "run-1"})
    d = decide(inputs(rolled, retry="x", now=T0 + INTERVAL))
    assert d.status.stage is Stage.ROLLED_BACK


def test_same_evidence_and_generation_keep_rollback() -> None:
    d = decide(inputs(rolled_back(), generation=1, now=T0 + 9 * INTERVAL))
    assert d.status.stage is Stage.ROLLED_BACK
    assert not d.events


def test_rolled_back_and_access_blocked_stays_rolled_back() -> None:
    ev = evidence(Capability.TEXT, access_failure=AccessFailure.AUTH_FAILED)
    d = decide(inputs(rolled_back(), evidence=ev, now=T0 + 2 * INTERVAL))
    assert d.status.stage is Stage.ROLLED_BACK
    assert d.status.effective_weight == 0


# --- restricted and static groups ------------------------------------------------------------


def test_restricted_group_routes_declared_weight_at_smoke_only() -> None:
    s = spec(access={"restricted": True, "callerSecretRef": {"name": "c"}})
    d = decide(inputs(None, spec=s))
    assert d.status.stage is Stage.SMOKE_ONLY
    assert d.status.effective_weight == 40


def test_static_group_is_active_once_proven() -> None:
    d = decide(inputs(None, spec=spec(strategy="static")))
    assert d.status.stage is Stage.ACTIVE
    assert d.status.effective_weight == 40


def test_static_group_without_evidence_gets_nothing() -> None:
    d = decide(inputs(None, spec=spec(strategy="static"), evidence=None))
    assert d.status.stage is Stage.CATALOG_ONLY
    assert d.status.effective_weight == 0


# --- the group's conditions ------------------------------------------------------------------


def test_group_conditions_report_ready_progressing_degraded() -> None:
    active = limited(3).model_copy(update={"stage": Stage.ACTIVE, "effective_weight": 40})
    rolled = rolled_back().model_copy(update={"model": "n"})
    conds = {c.type: c for c in group_conditions([active, limited(1), rolled], 3)}
    assert conds["Ready"].status.value == "True"
    assert conds["Progressing"].status.value == "True"
    assert conds["Degraded"].reason == "TargetsRolledBack"
    assert conds["Degraded"].observed_generation == 3


def test_rollout_failure_overrides_degraded_reason() -> None:
    error = ("RouterRolloutFailed", "revision abc not ready")
    conds = {c.type: c for c in group_conditions([], 1, router_error=error)}
    assert conds["Ready"].status.value == "False"
    assert conds["Degraded"].reason == "RouterRolloutFailed"
    assert "abc" in conds["Degraded"].message


def test_a_group_that_cannot_render_is_not_ready() -> None:
    active = limited(3).model_copy(update={"stage": Stage.ACTIVE, "effective_weight": 40})
    error = ("RenderFailed", "spec.targets[0].provider: Provider 'nope' not found")
    conds = {c.type: c for c in group_conditions([active], 2, router_error=error)}
    assert (conds["Ready"].status.value, conds["Ready"].reason) == ("False", "RenderFailed")
    assert conds["Degraded"].reason == "RenderFailed"
    assert "nope" in conds["Degraded"].message
