"""Build and run tests/argocd/health: Argo CD's own health (gitops-engine + util/lua) and diff
(util/argo/diff) code, pinned to an Argo CD release in its go.mod, fed JSON on stdin.

The binary is cached under ~/.cache/switchyard/argocd-health/<digest of the sources>, so it is
rebuilt only when main.go, go.mod or go.sum change (a cold build takes a few minutes).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from e2e.gotool import go_binary

from .assets import CM

SOURCE = Path(__file__).resolve().parent / "health"


def binary() -> Path:
    return go_binary(SOURCE, "argocd-health")


def evaluate(
    health: Sequence[tuple[str, dict[str, Any]]] = (),
    diff: Sequence[tuple[str, dict[str, Any], dict[str, Any]]] = (),
    argocd_cm: str | None = None,
) -> dict[str, dict[str, Any]]:
    """{name: result} for every health case and diff case, from Argo CD's code."""
    request = {
        "argocdCm": argocd_cm if argocd_cm is not None else CM.read_text(),
        "health": [{"name": n, "object": o} for n, o in health],
        "diff": [{"name": n, "desired": d, "live": live} for n, d, live in diff],
    }
    proc = subprocess.run(
        [str(binary())],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"argocd-health failed: {proc.stderr[-4000:]}")
    reply = json.loads(proc.stdout)
    return {r["name"]: r for r in [*reply["health"], *reply["diff"]]}
