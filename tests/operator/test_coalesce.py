"""Merged runs per key (the namespace's router syncs, Secret reads): who shares which run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from switchyard.operator.coalesce import Coalescer


class Job:
    """A run that records what it was given and finishes when its call is released (all calls
    with `release_all`)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.release_all = False
        self.fail_next = False
        self.changed = asyncio.Condition()

    def gate(self, call: int) -> asyncio.Event:
        return self.gates.setdefault(call, asyncio.Event())

    async def __call__(self, key: str, items: dict[str, Any]) -> Any:
        self.calls.append(dict(items))
        call = len(self.calls)
        async with self.changed:
            self.changed.notify_all()
        if not self.release_all:
            await self.gate(call).wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("boom")
        return (key, call, sorted(items))


async def started(job: Job, count: int) -> None:
    async with job.changed:
        await job.changed.wait_for(lambda: len(job.calls) >= count)


async def test_callers_during_a_run_share_the_next_one_with_all_their_items() -> None:
    merged, job = Coalescer(), Job()
    first = asyncio.create_task(merged.submit("ns", {"a": 1}, job))
    await started(job, 1)
    # these arrive while the first run goes on: its result predates them, they share the next
    later = [asyncio.create_task(merged.submit("ns", {n: 2}, job)) for n in ("b", "c", "b")]
    await asyncio.sleep(0)
    job.release_all = True
    job.gate(1).set()
    assert await first == ("ns", 1, ["a"])
    results = await asyncio.gather(*later)
    assert results == [("ns", 2, ["b", "c"])] * 3
    assert merged.runs == 2
    assert job.calls == [{"a": 1}, {"b": 2, "c": 2}]


async def test_keys_run_apart_and_a_lone_caller_runs_at_once() -> None:
    merged, job = Coalescer(), Job()
    job.release_all = True
    one = await merged.submit("x", {"a": 1}, job)
    two = await merged.submit("y", {"a": 1}, job)
    assert (one, two) == (("x", 1, ["a"]), ("y", 2, ["a"]))
    assert merged.runs == 2


async def test_a_failed_run_fails_its_callers_and_the_next_caller_runs_anew() -> None:
    merged, job = Coalescer(), Job()
    first = asyncio.create_task(merged.submit("ns", {"a": 1}, job))
    await started(job, 1)
    job.fail_next = True
    job.gate(1).set()
    with pytest.raises(RuntimeError):
        await first
    job.release_all = True
    assert await merged.submit("ns", {"b": 1}, job) == ("ns", 2, ["b"])


async def test_a_cancelled_run_leaves_its_batch_mates_to_run_anew() -> None:
    merged, job = Coalescer(), Job()
    first = asyncio.create_task(merged.submit("ns", {"a": 1}, job))
    await started(job, 1)
    b = asyncio.create_task(merged.submit("ns", {"b": 1}, job))
    c = asyncio.create_task(merged.submit("ns", {"c": 1}, job))
    await asyncio.sleep(0)
    job.gate(1).set()
    await first
    await started(job, 2)  # b runs the batch of b and c
    b.cancel()
    job.release_all = True
    assert await c == ("ns", 3, ["c"])  # its own items again, from a run of its own
    assert b.cancelled()
    assert job.calls == [{"a": 1}, {"b": 1, "c": 1}, {"c": 1}]


async def test_spacing_gathers_the_callers_of_its_wait_into_one_run() -> None:
    ticks = [100.0]
    merged, job = Coalescer(spacing=0.05, clock=lambda: ticks[0]), Job()
    job.release_all = True
    await merged.submit("ns", {"a": 1}, job)
    # the clock stands still: the next run waits out the spacing, and whoever comes meanwhile
    # joins it
    later = [asyncio.create_task(merged.submit("ns", {n: 1}, job)) for n in "bcd"]
    results = await asyncio.gather(*later)
    assert results == [("ns", 2, ["b", "c", "d"])] * 3
    assert merged.runs == 2


async def test_quiet_waits_for_the_callers_just_behind_the_first() -> None:
    merged, job = Coalescer(quiet=0.05, quiet_max=60), Job()
    job.release_all = True
    first = asyncio.create_task(merged.submit("ns", {"a": 1}, job))
    # callers keep coming within the quiet time of each other: all of them share the first run
    later = []
    for n in "bcd":
        await asyncio.sleep(0.01)
        later.append(asyncio.create_task(merged.submit("ns", {n: 1}, job)))
    results = await asyncio.gather(first, *later)
    assert results == [("ns", 1, ["a", "b", "c", "d"])] * 4
    assert merged.runs == 1


async def test_quiet_gives_up_waiting_at_its_limit() -> None:
    ticks = [100.0]
    merged, job = Coalescer(quiet=0.01, quiet_max=1.0, clock=lambda: ticks[0]), Job()
    job.release_all = True
    first = asyncio.create_task(merged.submit("ns", {"a": 1}, job))
    later = []
    while not job.calls:  # a caller joins within every quiet period; the clock passes the limit
        await asyncio.sleep(0.005)
        ticks[0] += 0.1
        later.append(asyncio.create_task(merged.submit("ns", {f"b{len(later)}": 1}, job)))
    assert (await first)[1] == 1
    await asyncio.gather(*later)  # (without the limit, the first run would never begin)
