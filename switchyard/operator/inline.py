"""The inline executor: the same `switchyard probe` run as a child of the operator process.

The child gets an environment of PATH and the one key variable, nothing of the operator's own
(no kubeconfig, no service-account token path variables).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

from switchyard.catalog import EvidenceRow
from switchyard.smoke import decode_compact

from .smokejobs import Outcome


async def run_probe(
    args: list[str], env_name: str | None, secret: str | None, deadline: float
) -> Outcome:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if env_name and secret is not None:
        env[env_name] = secret
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "switchyard.cli",
        "probe",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    try:
        # a timeout scope, not asyncio.wait_for: on 3.11 that can swallow a cancellation
        async with asyncio.timeout(deadline):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return Outcome([], "Timeout", f"probes did not finish within {int(deadline)}s")
    except asyncio.CancelledError:  # the operator is stopping: no probe outlives it
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        raise
    try:
        rows: list[EvidenceRow] = list(decode_compact(out.decode(errors="replace")).rows)
    except ValueError:
        return Outcome([], "ResultsUnreadable", f"probe exited {proc.returncode}; no evidence")
    return Outcome(rows, "InlineFinished", f"exit {proc.returncode}")
