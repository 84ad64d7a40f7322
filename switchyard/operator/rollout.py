"""Router rollout decision: apply a new revision, wait for it, keep it, or restore the last good.

Pure. The operator reads the live and last-good ConfigMaps and asks every router pod for the
revision its /readyz reports; this module says what to do with that. The revision that failed
is remembered on the live ConfigMap so the same content is not rolled out again in a loop; a
catalog change (a new revision) is tried afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Action(StrEnum):
    APPLY = "apply"  # write the new revision (ConfigMap; Deployment template if it changed)
    WAIT = "wait"  # the new revision is rolling out, deadline not reached
    PROMOTE = "promote"  # ready everywhere: it becomes the last good revision
    ROLLBACK = "rollback"  # deadline passed: restore the last good revision
    HOLD = "hold"  # the desired revision failed before; keep serving the last good one
    STEADY = "steady"  # nothing to do


@dataclass(frozen=True)
class LiveState:
    """What the cluster holds now (None fields: the object or annotation is absent)."""

    revision: str | None
    applied_at: datetime | None
    failed_revision: str | None
    last_good_revision: str | None


@dataclass(frozen=True)
class PodReport:
    """One router pod's /readyz answer (revision None: unreachable or not answering)."""

    pod: str
    revision: str | None
    ready: bool


@dataclass(frozen=True)
class Step:
    action: Action
    message: str
    # APPLY only: the revision being replaced is ready on every pod but was never recorded as
    # the last good one; record it first, so a failure of the new one restores it (not an older
    # revision the pods have already left).
    promote_live: bool = False


def ready_count(reports: Sequence[PodReport], revision: str) -> int:
    return sum(1 for r in reports if r.ready and r.revision == revision)


def decide(
    desired: str,
    live: LiveState,
    reports: Sequence[PodReport],
    replicas: int,
    now: datetime,
    deadline: timedelta,
) -> Step:
    """The next rollout action for the namespace's router."""
    if live.revision != desired:
        if desired == live.failed_revision:
            return Step(Action.HOLD, f"revision {desired} failed its rollout before")
        serving = (
            live.revision is not None
            and live.revision not in {live.last_good_revision, live.failed_revision}
            and ready_count(reports, live.revision) >= max(replicas, 1)
        )
        if serving:
            return Step(
                Action.APPLY,
                f"revision {live.revision} ready everywhere, kept as last good; "
                f"rolling out revision {desired}",
                promote_live=True,
            )
        return Step(Action.APPLY, f"rolling out revision {desired}")
    if live.revision == live.last_good_revision:
        return Step(Action.STEADY, f"revision {desired} is serving")
    ready = ready_count(reports, desired)
    if ready >= max(replicas, 1):
        return Step(Action.PROMOTE, f"revision {desired} ready on {ready} pods")
    if desired == live.failed_revision:
        # It failed and there was nothing to restore: keep it, without rolling back again.
        return Step(Action.HOLD, f"revision {desired} failed its rollout; no earlier revision")
    started = live.applied_at or now
    if now - started > deadline:
        stale = sorted({r.revision or "unreachable" for r in reports if r.revision != desired})
        seen = f"; pods report {', '.join(stale)}" if stale else ""
        return Step(
            Action.ROLLBACK,
            f"revision {desired} not ready on {replicas} pods within "
            f"{int(deadline.total_seconds())}s ({ready} ready{seen})",
        )
    return Step(Action.WAIT, f"revision {desired} ready on {ready}/{replicas} pods")
