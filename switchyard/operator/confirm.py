"""Post-rollback confirmation (003 Rollback: "Run a request through affected groups to confirm
another eligible target is selected").

When a target of a group is rolled back, or the namespace's router is, the group's status gets a
pending confirmation. Once the router serves steadily again, the operator sends one minimal text
request through the group, as a caller would (a router-layer probe body from
``switchyard.smoke``), and records which target answered, or why none could.

The request carries the operator's own caller token for the namespace (``operatortoken``); the
router accepts it on every group for confirmation-shaped requests (``router.access``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchyard.catalog import (
    Condition,
    ConditionStatus,
    ConfirmationResult,
    Dialect,
    Layer,
    RollbackConfirmation,
    Stage,
    TargetStatus,
)
from switchyard.smoke.client import ProbeClient, new_http
from switchyard.smoke.dialects import ADAPTERS
from switchyard.wire import caller_headers

from .conditions import condition
from .rollout import Action

TARGET_ROLLED_BACK = "TargetRolledBack"
ROUTER_ROLLED_BACK = "RouterRolledBack"
PROMPT = "Reply with the single word OK."
CAP = 16  # router.access.CONFIRMATION_MAX_CAP: the most the token may ask for


@dataclass(frozen=True)
class Trigger:
    kind: str
    reference: str


def trigger(
    before: Sequence[TargetStatus],
    after: Sequence[TargetStatus],
    failed_revision: str | None,
) -> Trigger | None:
    """What rolled back in this reconcile: targets that entered RolledBack now, else the router
    revision that failed for this group (None: nothing)."""
    was = {t.key: t.stage for t in before}
    rolled = sorted(
        t.key
        for t in after
        if t.stage is Stage.ROLLED_BACK and was.get(t.key) is not Stage.ROLLED_BACK
    )
    if rolled:
        return Trigger(TARGET_ROLLED_BACK, ",".join(rolled)[:512])
    if failed_revision:
        return Trigger(ROUTER_ROLLED_BACK, failed_revision)
    return None


def pending(
    previous: RollbackConfirmation | None, found: Trigger | None, now: datetime
) -> RollbackConfirmation | None:
    """The confirmation to keep in status: a new pending one for a rollback not seen before."""
    if found is None:
        return previous
    if previous is not None and (previous.trigger, previous.reference) == (
        found.kind,
        found.reference,
    ):
        return previous
    return RollbackConfirmation(trigger=found.kind, reference=found.reference, requested_at=now)


def due(confirmation: RollbackConfirmation | None, action: Action | None) -> bool:
    """Send once nothing is rolling out: the pods serve the revision the rollback left."""
    return (
        confirmation is not None
        and confirmation.result is ConfirmationResult.PENDING
        and action in (Action.STEADY, Action.HOLD)
    )


def dialect_for(targets: Sequence[TargetStatus], dialects: Mapping[str, Dialect]) -> Dialect:
    """The dialect a caller would most likely use: that of the first target still carrying
    weight (native, so no bridge stands in the way), else of the first target."""
    live = [t for t in targets if t.effective_weight > 0 and t.stage is not Stage.ROLLED_BACK]
    for t in [*live, *targets]:
        if t.provider in dialects:
            return dialects[t.provider]
    return Dialect.OPENAI_CHAT


def judge(
    confirmation: RollbackConfirmation,
    served_by: str | None,
    failure: str | None,
    excluded: Iterable[str],
    now: datetime,
) -> RollbackConfirmation:
    """The confirmation's outcome from one request."""
    if failure is None and served_by and served_by not in set(excluded):
        result, message = ConfirmationResult.SERVED, ""
    elif failure is None:
        result = ConfirmationResult.FAILED
        message = (
            f"served by the rolled-back target {served_by}"
            if served_by
            else ("the router did not name the target that served")
        )
    else:
        result, message = ConfirmationResult.FAILED, failure
    return confirmation.model_copy(
        update={
            "result": result,
            "confirmed_at": now,
            "served_by": (served_by or None) and served_by[:256],
            "message": message[:512],
        }
    )


async def send(
    base_url: str, group: str, dialect: Dialect, token: str, seconds: float
) -> tuple[str | None, str | None]:
    """One confirmation request through the router at ``base_url``: (served_by, failure)."""
    adapter = ADAPTERS[dialect]
    body: dict[str, Any] = adapter.text(group, PROMPT, max(CAP, adapter.min_cap))
    async with new_http(seconds, connections=1) as http:
        client = ProbeClient(
            http=http,
            base_url=base_url.rstrip("/") + "/v1",
            adapter=adapter,
            layer=Layer.ROUTER,
            headers=caller_headers(dialect, token),
        )
        ex = await client.send(body)
    if ex.ok:
        return ex.selected_upstream, None
    what = ex.error_class.value if ex.error_class else "no answer"
    status = f" (HTTP {ex.status_code})" if ex.status_code else ""
    note = f": {ex.note}" if ex.note else ""
    return ex.selected_upstream, f"{what}{status}{note}"


def confirmed_condition(confirmation: RollbackConfirmation, generation: int) -> Condition:
    """RollbackConfirmed: Unknown while pending, True when another target served, else False."""
    what = f"{confirmation.trigger} {confirmation.reference}"
    if confirmation.result is ConfirmationResult.PENDING:
        return condition(
            "RollbackConfirmed", ConditionStatus.UNKNOWN, "Pending", what[:1024], generation
        )
    if confirmation.result is ConfirmationResult.SERVED:
        message = f"after {what}: served by {confirmation.served_by}"
        return condition(
            "RollbackConfirmed", True, "AnotherTargetServed", message[:1024], generation
        )
    message = f"after {what}: {confirmation.message}"
    return condition("RollbackConfirmed", False, "NoTargetServed", message[:1024], generation)
