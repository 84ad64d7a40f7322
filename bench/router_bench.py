"""Benchmark: fake upstream direct vs a bare aiohttp proxy vs the router, in one run.

    python bench/router_bench.py [--requests 2000] [--duration 5] [--bound-ms 50]
                                 [--usage-sink file|none] [--cpu-requests 4000]

Prints, per path, p50/p99 latency at concurrency 1 (and the latency each proxy adds over
direct), then the best throughput whose p99 stays under the latency bound, and the ratios the
issue sets goals for (router keeps >= 70% of the bare proxy's throughput, adds <= 1 ms p50).
It also prints each server's own CPU time per request (from /proc): on a shared machine the
wall-clock figures swing with everything else that runs, the CPU a server spends does not, and
for a one-process event loop it sets the ceiling of its throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from switchyard.catalog import Dialect, RouterSettings  # noqa: E402
from tests.router.harness import G, T, build, evidence, free_port, provider, wait_http  # noqa: E402

BODY = b'{"model":"bench","messages":[{"role":"user","content":"Say OK"}],"max_tokens":16}'


def _spawn(args: list[str], health: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(health, proc)
    return proc


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _sequential(session: aiohttp.ClientSession, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        async with session.post(url, data=BODY, headers={"Content-Type": "application/json"}) as r:
            await r.read()
            assert r.status == 200, r.status
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def _load(
    session: aiohttp.ClientSession, url: str, conc: int, seconds: float
) -> tuple[float, float]:
    """(requests per second, p99 ms) at a fixed concurrency."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            async with session.post(
                url, data=BODY, headers={"Content-Type": "application/json"}
            ) as r:
                await r.read()
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return len(latencies) / (time.perf_counter() - start), _pct(latencies, 0.99)


async def _fixed(session: aiohttp.ClientSession, url: str, n: int, conc: int) -> None:
    """n requests over conc workers (for CPU accounting)."""

    async def worker(k: int) -> None:
        for _ in range(k):
            async with session.post(
                url, data=BODY, headers={"Content-Type": "application/json"}
            ) as r:
                await r.read()
                assert r.status == 200, r.status

    await asyncio.gather(*(worker(n // conc) for _ in range(conc)))


async def cpu_per_request(
    session: aiohttp.ClientSession, urls: dict[str, str], pids: dict[str, int], n: int
) -> None:
    """Each server's CPU microseconds per request at concurrency 8. Rounds alternate between
    the servers so that a change in machine load falls on all of them alike."""
    rounds = 5
    print(f"\nserver CPU per request (us; {n} requests at c=8, {rounds} interleaved rounds)")
    spent: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            before = _cpu_seconds(pids[name])
            await _fixed(session, url, n, 8)
            spent[name].append((_cpu_seconds(pids[name]) - before) * 1e6 / n)
    median = {name: statistics.median(values) for name, values in spent.items()}
    for name, values in spent.items():
        shown = " ".join(f"{v:6.1f}" for v in values)
        print(f"{name:8} {shown}   median {median[name]:6.1f}")
    print(f"bare proxy/router CPU per request: {median['proxy'] / median['router']:.2f} "
          "(the throughput ratio when each server is CPU-bound on one core)")  # fmt: skip


async def measure(
    urls: dict[str, str], n: int, seconds: float, levels: list[int], bound: float,
    pids: dict[str, int], cpu_requests: int,
) -> None:  # fmt: skip
    connector = aiohttp.TCPConnector(limit=1024)
    async with aiohttp.ClientSession(connector=connector) as session:
        for url in urls.values():
            await _sequential(session, url, max(10, n // 10))  # warm up pools and caches
        lat = {name: await _sequential(session, url, n) for name, url in urls.items()}
        print(f"\nconcurrency 1, {n} requests each (ms)")
        print(f"{'path':8} {'p50':>8} {'p99':>8} {'added p50':>10} {'added p99':>10}")
        base50, base99 = _pct(lat["direct"], 0.5), _pct(lat["direct"], 0.99)
        for name, values in lat.items():
            p50, p99 = _pct(values, 0.5), _pct(values, 0.99)
            print(f"{name:8} {p50:8.3f} {p99:8.3f} {p50 - base50:10.3f} {p99 - base99:10.3f}")
        best: dict[str, float] = {}
        print(f"\nthroughput with p99 <= {bound:g} ms ({seconds:g}s per level)")
        for name, url in urls.items():
            best[name] = 0.0
            for conc in levels:
                rps, p99 = await _load(session, url, conc, seconds)
                ok = p99 <= bound
                print(
                    f"{name:8} c={conc:<4} {rps:9.0f} req/s  p99 {p99:8.2f} ms {'' if ok else '(over bound)'}"
                )
                if ok:
                    best[name] = max(best[name], rps)
        print("\nsummary")
        for name in urls:
            print(f"{name:8} best {best[name]:9.0f} req/s")
        proxy_added = statistics.median(lat["proxy"]) - statistics.median(lat["direct"])
        router_added = statistics.median(lat["router"]) - statistics.median(lat["direct"])
        ratio = best["router"] / best["proxy"] if best["proxy"] else 0.0
        print(f"router/proxy throughput ratio: {ratio:.2f} (goal >= 0.70)")
        print(f"router added p50 over direct: {router_added:.3f} ms; over bare proxy: "
              f"{router_added - proxy_added:.3f} ms (goal <= 1 ms)")  # fmt: skip
        if cpu_requests:
            await cpu_per_request(session, urls, pids, cpu_requests)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--bound-ms", type=float, default=50.0)
    parser.add_argument("--levels", default="1,4,16,32,64")
    parser.add_argument(
        "--usage-sink", choices=("file", "none"), default="file",
        help="file (default; production writes a row per request) or none",
    )  # fmt: skip
    parser.add_argument("--cpu-requests", type=int, default=3000, help="0 skips CPU accounting")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    py = sys.executable
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            mock_port, proxy_port, router_port = free_port(), free_port(), free_port()
            mock = f"http://127.0.0.1:{mock_port}"
            procs.append(_spawn([py, "-m", "switchyard.cli", "mock-upstream", "--port", str(mock_port)],
                                f"{mock}/_mock/health"))  # fmt: skip
            procs.append(_spawn([py, str(ROOT / "bench" / "bare_proxy.py"), "--port", str(proxy_port),
                                 "--upstream", mock], f"http://127.0.0.1:{proxy_port}/x"))  # fmt: skip
            p = provider(
                "up", mock + "/v1", Dialect.OPENAI_CHAT, models={"m": "bench"}, auth="none"
            )
            config = build([p], [G("bench", [T("up")])], [evidence(p)], RouterSettings())
            (Path(tmp) / "router.json").write_text(config.to_json())
            sink = f"{tmp}/usage.jsonl" if args.usage_sink == "file" else "none"
            env = {**os.environ, "SWITCHYARD_ROUTER_USAGE_SINK": sink}
            router_args = [py, "-m", "switchyard.cli", "router", "--config", f"{tmp}/router.json",
                           "--host", "127.0.0.1", "--port", str(router_port), "--secrets-dir", tmp]  # fmt: skip
            rproc = subprocess.Popen(
                router_args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            procs.append(rproc)
            wait_http(f"http://127.0.0.1:{router_port}/readyz", rproc)
            assert httpx.get(f"http://127.0.0.1:{router_port}/readyz").status_code == 200
            urls = {
                "direct": f"{mock}/v1/chat/completions",
                "proxy": f"http://127.0.0.1:{proxy_port}/v1/chat/completions",
                "router": f"http://127.0.0.1:{router_port}/v1/chat/completions",
            }
            pids = {"direct": procs[0].pid, "proxy": procs[1].pid, "router": rproc.pid}
            print(f"cpus: {os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}  "
                  f"usage sink: {args.usage_sink}")  # fmt: skip
            asyncio.run(measure(urls, args.requests, args.duration, levels, args.bound_ms,
                                pids, args.cpu_requests))  # fmt: skip
            print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
