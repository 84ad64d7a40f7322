"""Ejection and Retry-After cooling over time, with a stepped clock instead of sleeps.

The router-process tests (test_selection.py) show a failing target ejected and kept out; its
return once the period is over is shown here, where time can be moved on exactly.
"""

from __future__ import annotations

from switchyard.router.selection import Health

PEERS = ["c", "d"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_target_is_ejected_after_consecutive_failures_and_returns_after_the_period() -> None:
    clock = Clock()
    health = Health(eject_after=2, eject_seconds=30, clock=clock)
    assert health.failed("c", PEERS) is False and not health.ejected("c")
    assert health.failed("c", PEERS) is True and health.ejected("c")
    clock.now += 29.9
    assert health.ejected("c")
    clock.now += 0.1
    assert not health.ejected("c")
    # its failure count starts again: one more failure does not eject it at once
    assert health.failed("c", PEERS) is False and not health.ejected("c")


def test_a_success_between_failures_resets_the_count() -> None:
    health = Health(eject_after=2, eject_seconds=30, clock=Clock())
    health.failed("c", PEERS)
    health.succeeded("c")
    assert health.failed("c", PEERS) is False and not health.ejected("c")


def test_the_last_usable_target_of_a_group_is_never_ejected() -> None:
    clock = Clock()
    health = Health(eject_after=1, eject_seconds=30, clock=clock)
    assert health.failed("c", ["c"]) is False  # alone in its group
    assert health.failed("d", PEERS) is True  # c is usable, so d may go
    assert health.failed("c", PEERS) is False  # d is out: c is the last one left
    assert not health.ejected("c") and health.ejected("d")
    clock.now += 30
    assert not health.ejected("d")


def test_retry_after_cooling_counts_down_on_the_clock() -> None:
    clock = Clock()
    health = Health(eject_after=2, eject_seconds=30, clock=clock)
    assert health.cooling("c") == 0
    health.cool("c", 5)
    clock.now += 2
    assert health.cooling("c") == 3
    clock.now += 3
    assert health.cooling("c") == 0
    health.cool("c", 0)  # no Retry-After: nothing to wait for
    assert health.cooling("c") == 0
