"""The inline executor: a real `switchyard probe` child of the operator process."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from switchyard.operator.inline import run_probe


def _children() -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_a_cancelled_probe_leaves_no_child_running() -> None:
    """The operator stopping cancels an inline SmokeRun: its probe process is killed with it,
    not left to run to its own timeouts."""
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # never answers
    port = silent.sockets[0].getsockname()[1]
    before = _children()
    args = ["--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", "--dialect",
            "openai-chat", "--api-key-env", "PROBE_KEY", "--tasks", "text", "--output", "compact"]  # fmt: skip
    task = asyncio.create_task(run_probe(args, "PROBE_KEY", "sk-test-not-a-real-key", 600))
    try:
        new: set[int] = set()
        for _ in range(600):  # until the child exists (at most 30 s)
            new = _children() - before
            if new:
                break
            await asyncio.sleep(0.05)
        assert new, "the probe process never started"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(200):  # killed: gone or a zombie within 10 s
            if not any(_alive(pid) for pid in new):
                break
            await asyncio.sleep(0.05)
        assert not any(_alive(pid) for pid in new)
    finally:
        silent.close()
