"""Benchmark: router throughput with 1 and with 2 worker processes (`router --workers N`).

    python bench/workers_bench.py [--seconds 5] [--rounds 3] [--loaders 2] [--concurrency 32]

Starts a canned upstream (raw asyncio on uvloop: one fixed Chat Completion with usage per
request, so it costs little CPU) and two routers on the same config, one with `--workers 1` and
one with `--workers 2`, all alive at once. Rounds alternate between the routers (a change in
the machine's other load falls on both alike); each round runs `--loaders` load processes
(raw HTTP/1.1 keep-alive connections, every answer checked for status 200) for `--seconds`.
Prints per round and as medians: requests/s, failed requests, and the CPU the router's
processes spent (cores busy, microseconds per request, from /proc).

On a machine with C cores shared by upstream, load and router, 2 workers can only gain what
the other processes leave of the cores: read the CPU columns with the requests/s.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from switchyard.catalog import Dialect, RouterSettings  # noqa: E402
from tests.router.harness import G, T, build, evidence, free_port, provider, stop, wait_http  # noqa: E402

REPLY = (
    b'{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"OK"},"logprobs":null,'
    b'"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":1,'
    b'"total_tokens":13}}'
)
BODY = b'{"model":"bench","messages":[{"role":"user","content":"Say OK"}],"max_tokens":16}'


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """(head, body) of one HTTP/1.1 message with Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return head, await reader.readexactly(length)


def upstream(port: int) -> None:
    """The canned upstream: every POST gets REPLY, kept alive."""
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(REPLY)).encode()
        + b"\r\n\r\n"
        + REPLY
    )

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head, _ = await _read_message(reader)
                writer.write(response if head.startswith(b"POST") else b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
        await server.serve_forever()

    _uvloop()
    asyncio.run(main())


def loader(port: int, concurrency: int, seconds: float) -> None:
    """Load on `concurrency` keep-alive connections for `seconds`; prints 'ok failed'."""
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(BODY)).encode()
        + b"\r\n\r\n" + BODY
    )  # fmt: skip
    counts = [0, 0]

    async def connection(deadline: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < deadline:
            writer.write(request)
            try:
                head, _ = await _read_message(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                counts[1] += 1
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            counts[0 if head.startswith(b"HTTP/1.1 200") else 1] += 1
        writer.close()

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(connection(deadline) for _ in range(concurrency)))

    _uvloop()
    asyncio.run(main())
    print(counts[0], counts[1])


def _uvloop() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(c) for c in children)]


def _round(port: int, pids: list[int], args: argparse.Namespace) -> tuple[float, int, float, float]:
    """(requests/s, failed, router cores busy, router CPU us per request) of one round."""
    cmd = [sys.executable, __file__, "--loader", str(port), str(args.concurrency), str(args.seconds)]  # fmt: skip
    cpu0, t0 = _cpu_seconds(pids), time.monotonic()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(args.loaders)]
    outs = [p.communicate()[0].split() for p in procs]
    wall, cpu = time.monotonic() - t0, _cpu_seconds(pids) - cpu0
    ok = sum(int(o[0]) for o in outs)
    failed = sum(int(o[1]) for o in outs)
    return ok / args.seconds, failed, cpu / wall, cpu * 1e6 / max(ok, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loaders", type=int, default=2, help="load processes per round")
    parser.add_argument("--concurrency", type=int, default=32, help="connections per loader")
    parser.add_argument("--upstream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--loader", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream:
        upstream(args.upstream)
        return 0
    if args.loader:
        loader(int(args.loader[0]), int(args.loader[1]), float(args.loader[2]))
        return 0
    py = sys.executable
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            up_port = free_port()
            procs.append(subprocess.Popen([py, __file__, "--upstream", str(up_port)]))
            wait_http(f"http://127.0.0.1:{up_port}/", procs[-1])
            up = provider("up", f"http://127.0.0.1:{up_port}/v1", Dialect.OPENAI_CHAT,
                          models={"m": "bench"}, auth="none")  # fmt: skip
            config = build([up], [G("bench", [T("up")])], [evidence(up)], RouterSettings())
            (Path(tmp) / "router.json").write_text(config.to_json())
            routers: dict[int, tuple[int, list[int]]] = {}
            for workers in (1, 2):
                port = free_port()
                proc = subprocess.Popen(
                    [py, "-m", "switchyard.cli", "router", "--config", f"{tmp}/router.json",
                     "--host", "127.0.0.1", "--port", str(port), "--secrets-dir", tmp,
                     "--usage-sink", f"{tmp}/usage-{workers}.jsonl", "--workers", str(workers)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                procs.append(proc)
                wait_http(f"http://127.0.0.1:{port}/readyz", proc)
                while len(_tree(proc.pid)) < workers + (workers > 1):
                    time.sleep(0.05)
                routers[workers] = (port, _tree(proc.pid))
            print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} before the run; "
                  f"{args.loaders} loaders x {args.concurrency} connections, {args.seconds:g} s "
                  "per round")  # fmt: skip
            results: dict[int, list[tuple[float, int, float, float]]] = {1: [], 2: []}
            for r in range(args.rounds):
                for workers, (port, pids) in routers.items():
                    res = _round(port, pids, args)
                    results[workers].append(res)
                    print(f"round {r + 1} workers={workers}: {res[0]:8.0f} req/s  failed {res[1]}"
                          f"  router CPU {res[2]:4.2f} cores, {res[3]:6.1f} us/req")  # fmt: skip
            print("\nmedians")
            median = {}
            for workers, rows in results.items():
                median[workers] = statistics.median(r[0] for r in rows)
                print(f"workers={workers}: {median[workers]:8.0f} req/s  failed "
                      f"{sum(r[1] for r in rows)}  router CPU "
                      f"{statistics.median(r[2] for r in rows):4.2f} cores, "
                      f"{statistics.median(r[3] for r in rows):6.1f} us/req")  # fmt: skip
            ratio = median[2] / median[1] if median[1] else 0.0
            print(f"2 workers / 1 worker throughput: {ratio:.2f}; load average after the run "
                  f"{os.getloadavg()[0]:.1f}")  # fmt: skip
        finally:
            for proc in reversed(procs):
                stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
