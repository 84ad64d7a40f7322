"""The benchmark script runs end to end (tiny request counts; figures are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_every_path_and_the_ratios() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "router_bench.py"),
         "--requests", "20", "--duration", "0.2", "--levels", "1,2"],
        capture_output=True, text=True, timeout=180, check=True,
    ).stdout  # fmt: skip
    for name in ("direct", "proxy", "router"):
        assert f"{name}   best" in out or f"{name:8} best" in out
    assert "router/proxy throughput ratio" in out and "router added p50" in out
