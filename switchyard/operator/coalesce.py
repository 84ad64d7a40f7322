"""Merged runs of an idempotent job per key: one render of a namespace per burst, not per group.

Every ModelGroup reconcile brings its namespace's router to the catalog (a render of the whole
namespace). A burst of M groups then rendered the namespace M times in a row. Here the callers
that arrive while a run of their key goes on (or before its spacing has passed) join the next
run, which gets all their items (by name; a later caller's item wins for its name) and whose
result they all share. One run per key at a time; each caller's result comes from a run that
started after it asked, with its item in it, so no caller sees older state than a run of its own
would have shown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Run = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass
class _Batch:
    items: dict[str, Any]
    done: asyncio.Future[Any]
    joined: int = 0  # callers that have added their items


@dataclass
class _Key:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: _Batch | None = None  # the batch the next run takes; callers join it
    started: float | None = None  # when the last run began (monotonic)


@dataclass
class Coalescer:
    """`submit(key, items, run)`: the result of a run that began after the call.

    `spacing`: runs of one key begin at least this many seconds apart (the callers arriving in
    between join the next run), so a steady trickle of callers (level timers) costs one run
    per `spacing`, not one each.

    `quiet`: a run begins only once no caller has joined its batch for this long (but no later
    than `quiet_max` after it would have begun), so the first run of a burst takes the callers
    arriving just behind the first one instead of running with that one alone.
    """

    spacing: float = 0.0
    quiet: float = 0.0
    quiet_max: float = 0.0
    clock: Callable[[], float] = time.monotonic
    runs: int = 0  # runs really made
    _keys: dict[str, _Key] = field(default_factory=dict)

    async def submit(self, key: str, items: dict[str, Any], run: Run) -> Any:
        state = self._keys.setdefault(key, _Key())
        while True:
            if state.pending is None:
                state.pending = _Batch({}, asyncio.get_running_loop().create_future())
            batch = state.pending
            batch.items.update(items)
            batch.joined += 1
            async with state.lock:
                if batch.done.cancelled():
                    continue  # its run was cancelled: ours is a new one (the lock is let go)
                if batch.done.done():
                    return batch.done.result()  # another caller ran our batch
                return await self._run(state, key, batch, run)

    async def _run(self, state: _Key, key: str, batch: _Batch, run: Run) -> Any:
        if state.started is not None:
            wait = state.started + self.spacing - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)  # still pending: callers keep joining this batch
        if self.quiet > 0:
            limit = self.clock() + self.quiet_max
            joined = -1
            while batch.joined != joined and self.clock() < limit:
                joined = batch.joined
                await asyncio.sleep(self.quiet)
        if state.pending is batch:
            state.pending = None  # from now on, callers gather into the next batch
        state.started = self.clock()
        self.runs += 1
        try:
            result = await run(key, batch.items)
        except Exception as exc:
            batch.done.set_exception(exc)
            batch.done.exception()  # retrieved: the waiters re-raise it, or nobody does
            raise
        except BaseException:
            batch.done.cancel()
            raise
        batch.done.set_result(result)
        return result
