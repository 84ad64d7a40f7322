"""The side-by-side bench runs end to end in quick mode and produces well-formed figures.

Only the shape of the figures is asserted (every cell answered, validated, measured, with a
ratio), never their values: timing on a shared machine is not a test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_measures_every_cell(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "router_bench.py"), "--quick", "--peers", "none",
         "--json", str(figures)],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    data = json.loads(figures.read_text())
    assert data["levels"] == [1, 8]
    rows = {(r["scenario"], r["server"]): r for r in data["rows"]}
    assert set(rows) == {
        ("chat", "bare"), ("chat", "router"), ("chat stream", "bare"), ("chat stream", "router"),
        ("responses->chat", "router"), ("responses->chat stream", "router"),
    }  # fmt: skip
    for (scenario, server), row in rows.items():
        for c in data["levels"]:
            cell = row[f"c{c}"]
            assert cell["requests"] > 0 and cell["failures"] == 0, (scenario, server, cell)
            assert math.isfinite(cell["cpu_us"]) and cell["cpu_us"] > 0, (scenario, server)
            assert 0 < cell["p50_ms"] <= cell["p99_ms"], (scenario, server, cell)
            if server == "router":  # native rows to the bare proxy, bridged to native
                assert cell["ratio"] is not None and cell["ratio"] > 0, (scenario, cell)
    assert "| chat | router |" in out.stdout  # the printed table
