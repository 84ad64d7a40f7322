"""Where a running event loop is waiting: every asyncio task and the chain of awaits it is in.

SIGUSR1 (faulthandler) shows the threads' Python stacks, but a loop that is idle while a task
waits on a future shows no frame deeper than `run_until_complete`. `kill -USR2` writes this
instead: per task its name, the coroutine frames it is suspended in (outermost first, through
`await`s into inner coroutines and async generators) and what the innermost one awaits. Only
code locations and type names are written, never local variables, arguments or results, so no
request body, header or key can appear in it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from types import FrameType
from typing import Any

_ASYNCGEN_STEPS = ("async_generator_asend", "async_generator_athrow")
MAX_DEPTH = 64  # an await chain deeper than this is cut (a cycle, or something pathological)


def _frame_line(frame: FrameType | None, name: str) -> str:
    if frame is None:  # finished or not started: nothing to point at
        return f"  {name} (no frame)"
    code = frame.f_code
    return f'  File "{code.co_filename}", line {frame.f_lineno}, in {code.co_name}'


def _awaited(obj: object) -> str:
    """What a chain ends on, by type and state only (a Future's repr could show a result)."""
    if isinstance(obj, asyncio.Future):
        state = "cancelled" if obj.cancelled() else "done" if obj.done() else "pending"
        if isinstance(obj, asyncio.Task):
            return f"  awaiting task {obj.get_name()!r} ({state})"
        return f"  awaiting {type(obj).__module__}.{type(obj).__qualname__} ({state})"
    if type(obj).__name__ == "FutureIter":  # C Future's `await`: the future is not reachable
        return "  awaiting a Future"
    return f"  awaiting {type(obj).__module__}.{type(obj).__qualname__}"


def await_chain(coro: Any) -> list[str]:
    """The frames of a suspended coroutine and of everything it awaits, outermost first."""
    lines: list[str] = []
    current: Any = coro
    for _ in range(MAX_DEPTH):
        if hasattr(current, "cr_frame"):  # coroutine
            lines.append(_frame_line(current.cr_frame, current.__qualname__))
            current = current.cr_await
        elif hasattr(current, "ag_frame"):  # async generator
            lines.append(_frame_line(current.ag_frame, current.__qualname__))
            current = current.ag_await
        elif type(current).__name__ in _ASYNCGEN_STEPS:  # `await agen.__anext__()` and kin
            # no attribute leads to the generator; the step's own references do
            found = [r for r in gc.get_referents(current) if hasattr(r, "ag_frame")]
            if not found:
                break
            current = found[0]
        elif hasattr(current, "gi_frame"):  # generator-based awaitable (Future.__await__)
            if current.gi_frame is not None and current.gi_code.co_name != "__await__":
                lines.append(_frame_line(current.gi_frame, current.__qualname__))
            current = current.gi_yieldfrom
        else:
            break
        if current is None:
            return lines
    lines.append(_awaited(current))
    return lines


def describe_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """Every task of `loop`, current one included, as text for a log or stderr."""
    tasks = sorted(asyncio.all_tasks(loop), key=lambda t: t.get_name())
    out = [f"asyncio tasks of pid {os.getpid()} ({len(tasks)}):"]
    for task in tasks:
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        state = "cancelling" if task.cancelling() else "pending"
        out.append(f"Task {task.get_name()!r} {name}() {state}:")
        out.extend(await_chain(coro))
    return "\n".join(out) + "\n"


def dump_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Write `describe_tasks` to stderr in one write (workers share it: no interleaving)."""
    text = describe_tasks(loop)
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr gone: nothing else to say it with
        pass
