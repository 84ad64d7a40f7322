"""The reload and workers benchmarks run end to end (tiny sizes; figures are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args],
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    return done.stdout


def test_reload_bench_prints_both_modes_with_no_failed_request() -> None:
    out = _bench("reload_bench.py", "--targets", "20", "--swaps", "2", "--settle", "0.1")
    for mode in ("inotify", "poll"):
        assert f"\n{mode}\n" in out
    assert out.count("swap -> served") == 2 and out.count(", failed 0") == 2, out


def test_workers_bench_prints_both_counts_with_no_failed_request() -> None:
    out = _bench("workers_bench.py", "--seconds", "0.5", "--rounds", "1", "--loaders", "1",
                 "--concurrency", "4")  # fmt: skip
    assert "workers=1:" in out and "workers=2:" in out, out
    assert out.count("failed 0") == 4 and "2 workers / 1 worker throughput" in out, out
