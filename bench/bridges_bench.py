"""Bridge stream translation throughput: golden upstream streams through each bridge, in-process.

Prints upstream events translated per second per case (no network; the router adds its own I/O).
Run: python bench/bridges_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from switchyard.router.bridges import BridgeContext, counting_ids, get_bridge  # noqa: E402
from switchyard.wire import SSEParser  # noqa: E402
from tests.router.bridges.golden_cases import CASES, GOLDEN  # noqa: E402

ROUNDS = 300


def main() -> None:
    print(f"{'case':48} {'events':>6} {'events/s':>12} {'MB/s in':>8}")
    for name, direction in CASES:
        raw = (GOLDEN / f"{name}.upstream.sse").read_bytes()
        events = SSEParser().feed(raw) + SSEParser().flush()
        started = time.perf_counter()
        for _ in range(ROUNDS):
            ctx = BridgeContext("up", "group", None, ids=counting_ids())
            translator = get_bridge(direction).stream(ctx)
            parser = SSEParser()
            for event in parser.feed(raw):
                translator.feed(event)
            translator.finish()
        elapsed = time.perf_counter() - started
        rate = len(events) * ROUNDS / elapsed
        mb = len(raw) * ROUNDS / elapsed / 1e6
        print(f"{name + ' ' + direction.value:48} {len(events):>6} {rate:>12,.0f} {mb:>8.1f}")


if __name__ == "__main__":
    main()
