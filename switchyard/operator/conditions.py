"""metav1.Condition bookkeeping: replace by type, keep lastTransitionTime while status holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from switchyard.catalog import Condition, ConditionStatus


def condition(
    type_: str,
    status: bool | ConditionStatus,
    reason: str,
    message: str = "",
    generation: int | None = None,
) -> Condition:
    """A condition without a transition time yet (``merge`` fills it in)."""
    if isinstance(status, bool):
        status = ConditionStatus.TRUE if status else ConditionStatus.FALSE
    return Condition(
        type=type_,
        status=status,
        reason=reason,
        message=message,
        observed_generation=generation,
    )


def merge(
    current: Sequence[Condition], updates: Sequence[Condition], now: datetime
) -> list[Condition]:
    """Conditions with `updates` applied; a transition time moves only when the status flips.

    Keeping the time stable is what makes a reconcile idempotent: running it twice on the same
    input writes the same status, so no watch event (and no second reconcile) follows.
    """
    by_type = {c.type: c for c in current}
    for new in updates:
        old = by_type.get(new.type)
        when = old.last_transition_time if old and old.status == new.status else None
        by_type[new.type] = new.model_copy(update={"last_transition_time": when or now})
    order = dict.fromkeys([*(c.type for c in current), *(u.type for u in updates)])
    return [by_type[t] for t in order]


def get(conditions: Sequence[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)


def is_true(conditions: Sequence[Condition], type_: str) -> bool:
    found = get(conditions, type_)
    return found is not None and found.status is ConditionStatus.TRUE
