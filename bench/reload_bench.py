"""Benchmark: how soon a kubelet-style config swap is served, and what it costs requests in flight.

    python bench/reload_bench.py [--targets 1000] [--swaps 10] [--concurrency 8]

Starts the fake upstream and the router on a config of `--targets` targets (many groups of
ten, plus the group `g` the load uses), mounted like a ConfigMap (`..data` symlink in the
directory). Under load at `--concurrency` it swaps `..data` to a config that routes `g` to the
other provider, `--swaps` times, and prints for each mode:
- swap -> /readyz: from the rename to the new revision on /readyz (polled every 2 ms);
- swap -> served: from the rename to the first answer from the new target;
- failed requests during the whole run (any non-200 or error), and p50/p99 latency of the
  requests outside the swaps against those that overlapped one (from the rename until the new
  target served).
Modes: `inotify` (the default router, polling only once an hour, so the watch alone reloads)
and `poll` (RELOAD_WATCH=false, the 1 s poll). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from switchyard.catalog import Dialect, RouterConfig, RouterSettings  # noqa: E402
from tests.router.harness import (  # noqa: E402
    G,
    T,
    build,
    evidence,
    free_port,
    kubelet_swap,
    provider,
    stop,
    wait_http,
)

LOADED = re.compile(r"config revision \S+ loaded in (\d+) ms")
BODY = b'{"model":"g","messages":[{"role":"user","content":"Say OK"}],"max_tokens":16}'
MODES = {
    "inotify": {"SWITCHYARD_ROUTER_RELOAD_INTERVAL": "3600"},
    "poll": {"SWITCHYARD_ROUTER_RELOAD_INTERVAL": "1", "SWITCHYARD_ROUTER_RELOAD_WATCH": "false"},
}


def configs(mock: str, targets: int) -> tuple[RouterConfig, RouterConfig]:
    """Two configs of `targets` targets that differ only in where group `g` goes."""
    per, filler = 10, max(0, targets - 1)
    names = [f"p{i}" for i in range(max(2, (filler + per - 1) // per))]
    models = {f"m{j}": f"model-{j}" for j in range(per)}
    providers = [
        provider(n, mock + "/v1", Dialect.OPENAI_CHAT, models=models, auth="none") for n in names
    ]
    runs = [evidence(p, model=m) for p in providers for m in models]
    groups = [
        G(f"f{i}", [T(names[(i * per + j) // per], f"m{j}") for j in range(per)])
        for i in range((filler + per - 1) // per)
    ]
    a = build(providers, [G("g", [T("p0", "m0")]), *groups], runs, RouterSettings())
    b = build(providers, [G("g", [T("p1", "m0")]), *groups], runs, RouterSettings())
    return a, b


@dataclass
class Run:
    failed: int = 0
    done: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, upstream
    want: str = ""  # the target a swap moves `g` to; `served` is set at its first answer
    served: asyncio.Event = field(default_factory=asyncio.Event)
    served_at: float = 0.0


async def load(session: aiohttp.ClientSession, url: str, run: Run, stop: asyncio.Event) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            async with session.post(
                url, data=BODY, headers={"Content-Type": "application/json"}
            ) as r:
                await r.read()
                ok = r.status == 200
                upstream = r.headers.get("x-switchyard-upstream", "")
        except aiohttp.ClientError:
            ok, upstream = False, ""
        if not ok:
            run.failed += 1
        end = time.perf_counter()
        run.done.append((t0, end, upstream))
        if upstream == run.want and not run.served.is_set():
            run.served_at = end
            run.served.set()


async def until_revision(session: aiohttp.ClientSession, base: str, revision: str) -> float:
    while True:
        async with session.get(f"{base}/readyz") as r:
            if (await r.json()).get("revision") == revision:
                return time.perf_counter()
        await asyncio.sleep(0.002)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def bench(base: str, mount: Path, cfgs: tuple[RouterConfig, RouterConfig], args: argparse.Namespace) -> None:  # fmt: skip
    run, stop_load = Run(), asyncio.Event()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        tasks = [
            asyncio.create_task(load(session, f"{base}/v1/chat/completions", run, stop_load))
            for _ in range(args.concurrency)
        ]
        await asyncio.sleep(args.settle)
        to_ready, to_served, windows = [], [], []
        for k in range(1, args.swaps + 1):
            new = cfgs[k % 2]
            run.served.clear()
            run.want = "p1/m0" if k % 2 else "p0/m0"
            await asyncio.to_thread(kubelet_swap, mount, k + 1, {"router.json": new.to_json()})
            t_swap = time.perf_counter()
            t_ready = await until_revision(session, base, new.revision)
            await run.served.wait()
            t_served = run.served_at
            to_ready.append((t_ready - t_swap) * 1000)
            to_served.append((t_served - t_swap) * 1000)
            windows.append((t_swap, t_served))
            await asyncio.sleep(args.settle)
        stop_load.set()
        await asyncio.gather(*tasks)
    during: list[float] = []
    outside: list[float] = []
    for s, e, _ in run.done:
        overlaps = any(s <= w1 and e >= w0 for w0, w1 in windows)
        (during if overlaps else outside).append((e - s) * 1000)
    for name, values in (("swap -> /readyz", to_ready), ("swap -> served ", to_served)):
        print(f"  {name} ms: median {statistics.median(values):7.1f}  max {max(values):7.1f}")
    print(f"  requests {len(run.done)}, failed {run.failed}")
    for name, values in (("outside swaps", outside), ("during swaps ", during)):
        print(f"  latency ms {name}: p50 {pct(values, 0.5):6.2f}  p99 {pct(values, 0.99):6.2f}"
              f"  ({len(values)} requests)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--swaps", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--settle", type=float, default=0.5, help="seconds of load between swaps")
    parser.add_argument("--modes", default="inotify,poll")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        mock_port = free_port()
        mock = f"http://127.0.0.1:{mock_port}"
        mock_proc = subprocess.Popen(
            [py, "-m", "switchyard.cli", "mock-upstream", "--port", str(mock_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_http(f"{mock}/_mock/health", mock_proc)
            t0 = time.perf_counter()
            cfgs = configs(mock, args.targets)
            size = len(cfgs[0].to_json()) // 1024
            print(f"config: {args.targets} targets, {size} KiB (rendered in "
                  f"{time.perf_counter() - t0:.1f} s); load c={args.concurrency}, "
                  f"{args.swaps} swaps; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
            for mode in args.modes.split(","):
                mount = Path(tmp) / mode
                kubelet_swap(mount, 1, {"router.json": cfgs[0].to_json()})
                port = free_port()
                env = {**os.environ, **MODES[mode], "SWITCHYARD_ROUTER_USAGE_SINK": f"{tmp}/{mode}.jsonl"}  # fmt: skip
                log = Path(tmp) / f"{mode}.log"
                router = subprocess.Popen(
                    [py, "-m", "switchyard.cli", "router", "--config", str(mount / "router.json"),
                     "--host", "127.0.0.1", "--port", str(port), "--secrets-dir", tmp],
                    env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                )  # fmt: skip
                try:
                    wait_http(f"http://127.0.0.1:{port}/readyz", router, timeout=60)
                    print(f"\n{mode}")
                    asyncio.run(bench(f"http://127.0.0.1:{port}", mount, cfgs, args))
                finally:
                    stop(router)
                loads = [float(m) for m in LOADED.findall(log.read_text())][1:]  # not the first
                if loads:
                    print(f"  router's own reload (check, parse, validate, swap) ms: median "
                          f"{statistics.median(loads):7.1f}  max {max(loads):7.1f}")  # fmt: skip
        finally:
            stop(mock_proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
