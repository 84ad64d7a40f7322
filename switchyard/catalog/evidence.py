"""Evidence -> catalog: the one place the probe-to-catalog mapping table lives.

The derivation is level-based: a model's status is recomputed from every completed SmokeRun that
tested it, never accumulated, so the same SmokeRuns always give the same status. Rules:

* Only runs of the newest provider generation seen among completed runs count. Older evidence
  keeps serving until a run of the new spec completes, then the new evidence alone decides.
* Per probe task the newest row wins (runs ordered by completion time, then name).
* A pass proves its capability on the dialect that was tested, nothing else (``TASK_PROVES``).
* max-tokens-cap: pass -> honorsMaxTokens true, fail -> false, skip/info -> unknown.
* An access-class failure (AuthFailed, Entitlement, Forbidden, ModelNotFound) in the newest run
  blocks the target until a newer run shows none.
* Router-layer rows that went through a bridge prove capabilities for that bridge direction only.
* Router-layer rows the target served natively (no bridge, its own dialect) are its
  ``routerVerified``: the router-level proof open groups need for ``ROUTER_PROOF``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from .provider import (
    BridgeEvidence,
    HostedToolProof,
    ModelStatus,
    Proof,
    Verified,
    field_name,
)
from .smokerun import EvidenceRow, SmokeRun
from .vocabulary import (
    ACCESS_FAILURES,
    TASK_PROVES,
    AccessFailure,
    BridgeDirection,
    Dialect,
    Layer,
    ProbeResult,
    ProbeTask,
    ReasoningControl,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _run_order(run: SmokeRun) -> tuple[datetime, str]:
    done = run.status.completed_at or run.status.started_at or _EPOCH
    if done.tzinfo is None:
        done = done.replace(tzinfo=UTC)
    return done, run.metadata.name


def _verified_from(rows: dict[ProbeTask, tuple[EvidenceRow, str]]) -> Verified:
    verified = Verified()
    for task, capability in TASK_PROVES.items():
        entry = rows.get(task)
        if entry is None or entry[0].result is not ProbeResult.PASS:
            continue
        row, run_name = entry
        proof = Proof(smoke_run=run_name, at=row.at, detail=row.detail)
        setattr(verified, field_name(capability.value), proof)
    return verified


def recommend(
    rows: Sequence[EvidenceRow], dialect: Dialect, smoke_run: str, model: str
) -> ModelStatus:
    """What one run's rows justify for `model` on `dialect` (the SmokeRun's `recommended`)."""
    direct = [r for r in rows if r.layer is Layer.DIRECT]
    routed = [r for r in rows if r.layer is Layer.ROUTER]
    return _derive(
        model, dialect, [(smoke_run, direct)] if direct else [], [(smoke_run, routed)], None
    )


def derive_model_status(
    name: str,
    dialect: Dialect,
    runs: Iterable[SmokeRun],
    provider_model: tuple[str, str],
) -> ModelStatus:
    """Recompute one model's status from every completed SmokeRun that may concern it.

    Direct runs count when they target `provider_model`; router-layer rows count when their
    selected upstream is that target.
    """
    direct: list[SmokeRun] = []
    routed: list[SmokeRun] = []
    for run in runs:
        if not run.status.completed():
            continue
        if run.spec.layer is Layer.ROUTER:
            routed.append(run)
        elif (run.spec.target.provider, run.spec.target.model) == provider_model:
            direct.append(run)
    if direct:
        newest_gen = max(r.status.provider_generation or 0 for r in direct)
        direct = [r for r in direct if (r.status.provider_generation or 0) == newest_gen]
    direct.sort(key=_run_order)
    routed.sort(key=_run_order)
    return _derive(
        name,
        dialect,
        [(r.metadata.name, r.status.results) for r in direct],
        [(r.metadata.name, r.status.results) for r in routed],
        f"{provider_model[0]}/{provider_model[1]}",
    )


RunRows = list[tuple[str, Sequence[EvidenceRow]]]


def _derive(
    name: str, dialect: Dialect, direct: RunRows, routed: RunRows, upstream: str | None
) -> ModelStatus:
    """The mapping proper, over runs already filtered and ordered oldest first."""
    latest: dict[ProbeTask, tuple[EvidenceRow, str]] = {}
    hosted: dict[str, str] = {}
    for run_name, rows in direct:
        for row in rows:
            if row.layer is not Layer.DIRECT or row.dialect is not dialect:
                continue  # evidence never crosses dialects
            latest[row.task] = (row, run_name)
            if row.task is ProbeTask.HOSTED_TOOLS and row.detail:
                if row.result is ProbeResult.PASS:
                    hosted[row.detail] = run_name
                else:
                    hosted.pop(row.detail, None)

    status = ModelStatus(name=name, verified=_verified_from(latest))
    status.reasoning_control = reasoning_control(status.verified.reasoning)
    status.hosted_tools = [HostedToolProof(name=k, smoke_run=v) for k, v in sorted(hosted.items())]
    cap = latest.get(ProbeTask.MAX_TOKENS_CAP)
    if cap is not None and cap[0].result in (ProbeResult.PASS, ProbeResult.FAIL):
        status.honors_max_tokens = cap[0].result is ProbeResult.PASS
    if direct:
        status.access_failure = _access_failure(direct[-1][1], dialect)
    status.smoke_runs = [run_name for run_name, _ in direct]
    status.bridges = _bridge_evidence(routed, upstream)
    status.router_verified = _router_verified(routed, upstream, dialect)
    return status


def _router_verified(routed: RunRows, upstream: str | None, dialect: Dialect) -> Verified:
    """What router-layer rows proved for ``upstream`` natively (the newest row per task)."""
    latest: dict[ProbeTask, tuple[EvidenceRow, str]] = {}
    for run_name, rows in routed:
        for row in rows:
            if row.layer is not Layer.ROUTER or row.bridge_direction is not None:
                continue
            if row.dialect is not dialect:
                continue
            if upstream is not None and row.selected_upstream != upstream:
                continue
            latest[row.task] = (row, run_name)
    return _verified_from(latest)


def reasoning_control(proof: Proof | None) -> ReasoningControl | None:
    """The typed control a reasoning proof recorded in its detail (None: unknown or none)."""
    if proof is None or proof.detail is None:
        return None
    try:
        return ReasoningControl(proof.detail)
    except ValueError:
        return None


def _access_failure(rows: Sequence[EvidenceRow], dialect: Dialect) -> AccessFailure | None:
    for row in rows:
        if row.layer is not Layer.DIRECT or row.dialect is not dialect:
            continue
        if (
            row.result is ProbeResult.FAIL
            and row.error_class
            and row.error_class.value in ACCESS_FAILURES
        ):
            return AccessFailure(row.error_class.value)
    return None


def _bridge_evidence(routed: RunRows, upstream: str | None) -> list[BridgeEvidence]:
    per_direction: dict[BridgeDirection, dict[ProbeTask, tuple[EvidenceRow, str]]] = {}
    for run_name, rows in routed:
        for row in rows:
            if row.layer is not Layer.ROUTER or row.bridge_direction is None:
                continue
            if upstream is not None and row.selected_upstream != upstream:
                continue
            per_direction.setdefault(row.bridge_direction, {})[row.task] = (row, run_name)
    out = []
    for direction in BridgeDirection:
        rows_by_task = per_direction.get(direction)
        if rows_by_task:
            out.append(BridgeEvidence(direction=direction, verified=_verified_from(rows_by_task)))
    return out
