"""The promotion decision for one ModelGroup target: a pure function of spec, status and evidence.

Everything it needs arrives as arguments and everything it decides leaves in the returned
TargetStatus, which the operator writes to ModelGroup status. That is what makes it restart-safe:
`lastStepTime` and `step` in status say where the target is, so an operator that restarts
mid-promotion neither skips a step nor takes one twice.

Stages: CatalogOnly (evidence does not cover the required capabilities, or access is blocked)
-> SmokeOnly (proven; restricted groups route to it, others wait one interval) -> Limited
(step i: effective = desired * steps[i] // 100, one step per passing interval) -> Active.
`failureThreshold` failed intervals in a row -> RolledBack (weight 0), which ends only with new
evidence, a new generation, or a new `switchyard.dev/retry` value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from switchyard.catalog import (
    Capability,
    Condition,
    ModelGroupSpec,
    ModelStatus,
    ProviderModel,
    Stage,
    Strategy,
    Target,
    TargetStatus,
)

from .conditions import condition
from .gates import Measurement, Verdict, evaluate


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event to emit about the group (reason CamelCase, message safe to show)."""

    type: str  # Normal | Warning
    reason: str
    message: str


@dataclass(frozen=True)
class Inputs:
    """What one decision looks at. `measurement` is the window since `lastStepTime`, or None
    when no baseline scrape exists yet (e.g. just after an operator restart)."""

    spec: ModelGroupSpec
    generation: int
    target: Target
    current: TargetStatus | None
    evidence: ModelStatus | None
    provider_model: ProviderModel | None
    measurement: Measurement | None
    now: datetime
    retry: str | None = None
    eligibility_skin: str | None = None


@dataclass
class Decision:
    status: TargetStatus
    events: list[Event] = field(default_factory=list)
    # A new measurement window starts now: the caller takes a new baseline scrape.
    window_reset: bool = False


def proven_capabilities(
    spec: ProviderModel | None, evidence: ModelStatus | None
) -> set[Capability]:
    """Capabilities proven on the target's own skin, limited by the Provider's `allow` list."""
    if evidence is None:
        return set()
    caps = set(evidence.verified.capabilities())
    if spec is not None and spec.allow is not None:
        caps &= set(spec.allow)
    return caps


def _blocker(inp: Inputs) -> tuple[str, str] | None:
    """Why the target may get no traffic at all, or None when the evidence covers it."""
    if inp.provider_model is None:
        return "TargetNotFound", f"Provider has no model {inp.target.model!r}"
    if inp.evidence is not None and inp.evidence.access_failure is not None:
        return "AccessBlocked", f"direct smoke failed with {inp.evidence.access_failure.value}"
    required = set(inp.spec.promotion.required_capabilities) | {Capability.TEXT}
    missing = required - proven_capabilities(inp.provider_model, inp.evidence)
    if missing:
        names = ", ".join(sorted(c.value for c in missing))
        return "EvidenceMissing", f"not proven: {names}"
    return None


def _newest_run(evidence: ModelStatus | None) -> str | None:
    return evidence.smoke_runs[-1] if evidence and evidence.smoke_runs else None


def _due(current: TargetStatus, interval: timedelta, now: datetime) -> bool:
    return current.last_step_time is None or now - current.last_step_time >= interval


@dataclass
class _Draft:
    """The status being decided, with the events its transitions raise."""

    status: TargetStatus
    now: datetime
    events: list[Event] = field(default_factory=list)

    def move(self, stage: Stage, reason: str, message: str, event_type: str = "Normal") -> None:
        if self.status.stage is not stage:
            self.status.last_transition_time = self.now
            self.events.append(Event(event_type, reason, f"{self.status.key}: {message}"))
        self.status.stage = stage
        self.status.reason = reason

    def restart(self) -> None:
        """Back to the start of the ladder with a fresh window."""
        self.status.failures = 0
        self.status.step = 0
        self.status.effective_weight = 0
        self.status.last_step_time = self.now


def decide(inp: Inputs) -> Decision:
    """The target's next status. Idempotent: deciding again on its own output changes nothing
    until time, evidence, traffic, spec or the retry annotation move."""
    base = inp.current or TargetStatus(
        provider=inp.target.provider, model=inp.target.model, retry_token=inp.retry
    )
    status = base.model_copy(
        update={"desired_weight": inp.target.weight, "eligibility_skin": inp.eligibility_skin}
    )
    # Proven on this skin but outside the Provider's `allow` list: metadata only, never routed.
    proven = set(inp.evidence.verified.capabilities()) if inp.evidence else set()
    usable = proven_capabilities(inp.provider_model, inp.evidence)
    status.inactive_tool_support = sorted(c.value for c in proven - usable)
    draft = _Draft(status, inp.now)
    _leave_rollback(inp, base, draft)
    status.retry_token = inp.retry if inp.retry is not None else base.retry_token
    status.evidence_run = _newest_run(inp.evidence)
    status.generation = inp.generation

    blocker = _blocker(inp)
    if status.stage is Stage.ROLLED_BACK:
        status.effective_weight = 0
    elif blocker is not None:
        draft.restart()
        status.last_step_time = base.last_step_time
        draft.move(Stage.CATALOG_ONLY, blocker[0], blocker[1], "Warning")
    elif inp.spec.access.restricted or inp.spec.strategy is Strategy.STATIC:
        # Restricted groups are smoke groups; static groups take declared weights once proven.
        stage = Stage.SMOKE_ONLY if inp.spec.access.restricted else Stage.ACTIVE
        status.effective_weight = inp.target.weight
        status.failures = 0
        draft.move(stage, "EvidenceVerified", "required capabilities proven")
    elif status.stage is Stage.CATALOG_ONLY:
        draft.restart()
        draft.move(Stage.SMOKE_ONLY, "EvidenceVerified", "required capabilities proven")
    else:
        _step(inp, draft)
    return _done(inp, status, draft.events)


def _leave_rollback(inp: Inputs, base: TargetStatus, draft: _Draft) -> None:
    """RolledBack ends with a new retry value, new evidence, or a new generation."""
    if base.stage is not Stage.ROLLED_BACK:
        return
    if inp.retry is not None and inp.retry != base.retry_token:
        why = "retry annotation changed"
    elif _newest_run(inp.evidence) != base.evidence_run:
        why = "new evidence"
    elif base.generation is not None and inp.generation > base.generation:
        why = "new generation"
    else:
        return
    draft.restart()
    draft.move(Stage.SMOKE_ONLY, "Retried", f"promotion restarts ({why})")


def _step(inp: Inputs, draft: _Draft) -> None:
    """SmokeOnly / Limited / Active in a weighted, open group: one decision per interval."""
    status = draft.status
    steps = inp.spec.promotion.steps
    desired = inp.target.weight
    interval = timedelta(seconds=inp.spec.promotion.interval_seconds())
    if not _due(status, interval, inp.now):
        pass
    elif status.stage is Stage.SMOKE_ONLY:
        status.step = 0
        status.last_step_time = inp.now
        draft.move(Stage.LIMITED, "PromotionStarted", f"limited at {steps[0]}% of {desired}")
    else:
        _judge(inp, draft, _verdict(inp))
    status.effective_weight = _weight(status, desired, steps)


def _judge(inp: Inputs, draft: _Draft, verdict: Verdict) -> None:
    status = draft.status
    steps = inp.spec.promotion.steps
    status.reason = verdict.reason
    if verdict.passed is None:
        return  # too little traffic or no baseline yet: the window stays open
    status.last_step_time = inp.now
    if verdict.passed:
        status.failures = 0
        if status.stage is Stage.LIMITED and status.step + 1 < len(steps):
            status.step += 1
            message = f"{status.key}: step {status.step} ({steps[status.step]}% of weight)"
            draft.events.append(Event("Normal", "Promoted", message))
        elif status.stage is Stage.LIMITED:
            draft.move(Stage.ACTIVE, verdict.reason, "fully promoted")
        return
    status.failures += 1
    threshold = inp.spec.promotion.failure_threshold
    if status.failures >= threshold:
        message = f"rolled back after {status.failures} failed intervals: {verdict.message}"
        draft.move(Stage.ROLLED_BACK, "GatesFailed", message, "Warning")
        status.step = 0
    else:
        message = (
            f"{status.key}: interval failed ({status.failures}/{threshold}): {verdict.message}"
        )
        draft.events.append(Event("Warning", "GatesFailed", message))


def _done(inp: Inputs, status: TargetStatus, events: list[Event]) -> Decision:
    before = inp.current.last_step_time if inp.current else None
    return Decision(status, events, window_reset=status.last_step_time != before)


def _verdict(inp: Inputs) -> Verdict:
    if inp.measurement is None:
        return Verdict(None, "AwaitingMetrics", "no baseline scrape of the router yet")
    return evaluate(inp.spec.promotion.gates, inp.measurement)


def _weight(status: TargetStatus, desired: int, steps: list[int]) -> int:
    if status.stage is Stage.ACTIVE:
        return desired
    if status.stage is Stage.LIMITED:
        return desired * steps[min(status.step, len(steps) - 1)] // 100
    return 0


def group_conditions(
    targets: list[TargetStatus], generation: int, router_error: tuple[str, str] | None = None
) -> list[Condition]:
    """Ready / Progressing / Degraded for the whole group from its targets and, when the router
    does not serve it as declared, the (reason, message) of that."""
    routed = [t for t in targets if t.effective_weight > 0]
    moving = [t for t in targets if t.stage in (Stage.SMOKE_ONLY, Stage.LIMITED)]
    rolled = [t for t in targets if t.stage is Stage.ROLLED_BACK]
    ready = condition(
        "Ready",
        bool(routed),
        "TargetsRouted" if routed else "NoRoutedTarget",
        f"{len(routed)} of {len(targets)} targets carry weight",
        generation,
    )
    if router_error is not None and router_error[0] == "RenderFailed":
        ready = condition("Ready", False, "RenderFailed", router_error[1], generation)
    progressing = condition(
        "Progressing",
        bool(moving),
        "Promoting" if moving else "Settled",
        ", ".join(sorted(t.key for t in moving)),
        generation,
    )
    if router_error is not None:
        degraded = condition("Degraded", True, router_error[0], router_error[1], generation)
    elif rolled:
        keys = ", ".join(sorted(t.key for t in rolled))
        degraded = condition("Degraded", True, "TargetsRolledBack", keys, generation)
    else:
        degraded = condition("Degraded", False, "AsExpected", "", generation)
    return [ready, progressing, degraded]
