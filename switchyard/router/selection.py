"""Choosing targets: weights, sticky sessions, Retry-After cooldowns and ejection.

Health is kept per provider/model across config reloads. A target is ejected after
`eject_after` consecutive failures for `eject_seconds`, but never when that would leave its
group without a usable target; selection also ignores ejection if every candidate is ejected.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from .config import TargetView


class Health:
    def __init__(
        self, eject_after: int, eject_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._eject_after = eject_after
        self._eject_seconds = eject_seconds
        self._clock = clock  # injectable: tests step time instead of sleeping through it
        self._failures: dict[str, int] = {}
        self._ejected_until: dict[str, float] = {}
        self._cooling_until: dict[str, float] = {}

    def now(self) -> float:
        return self._clock()

    def ejected(self, key: str, now: float | None = None) -> bool:
        until = self._ejected_until.get(key)
        if until is None:
            return False
        if (self._clock() if now is None else now) >= until:
            del self._ejected_until[key]
            self._failures[key] = 0
            return False
        return True

    def cooling(self, key: str, now: float | None = None) -> float:
        """Seconds left of a Retry-After cooldown (0 when none)."""
        until = self._cooling_until.get(key, 0.0)
        return max(0.0, until - (self._clock() if now is None else now))

    def cool(self, key: str, seconds: float) -> None:
        if seconds > 0:
            self._cooling_until[key] = self._clock() + seconds

    def succeeded(self, key: str) -> None:
        self._failures[key] = 0

    def failed(self, key: str, peers: Sequence[str]) -> bool:
        """Count a failure; True when this one ejected the target."""
        count = self._failures.get(key, 0) + 1
        self._failures[key] = count
        if count < self._eject_after or self.ejected(key):
            return False
        if not any(p != key and not self.ejected(p) for p in peers):
            return False  # the last usable target of its group stays in
        self._ejected_until[key] = self._clock() + self._eject_seconds
        return True


def weighted_order(
    candidates: Sequence[TargetView], rng: random.Random, first: str | None = None
) -> list[TargetView]:
    """All candidates, ordered by weighted sampling without replacement; `first` leads."""
    pool = list(candidates)
    order: list[TargetView] = []
    if first is not None:
        sticky = next((c for c in pool if c.key == first), None)
        if sticky is not None:
            order.append(sticky)
            pool.remove(sticky)
    while pool:
        if len(pool) == 1:  # nothing left to draw between
            order.append(pool.pop())
            break
        total = sum(c.target.weight for c in pool)
        pick = rng.uniform(0, total)
        acc = 0.0
        chosen = pool[-1]
        for c in pool:
            acc += c.target.weight
            if pick < acc:
                chosen = c
                break
        order.append(chosen)
        pool.remove(chosen)
    return order


def usable(candidates: Sequence[TargetView], health: Health) -> list[TargetView]:
    """Candidates not ejected; all of them if ejection would leave none."""
    now = health.now()
    alive = [c for c in candidates if not health.ejected(c.key, now)]
    return alive or list(candidates)
