"""Side-by-side bench: CPU per request of the router, a bare proxy, LiteLLM and Portkey.

    python bench/router_bench.py                  # full run (peers installed once into the cache)
    python bench/router_bench.py --quick --peers none     # seconds; what tests/bench runs

A compiled upstream (bench/loadgen, Go) answers like OpenAI Chat Completions (a ~650-byte reply
with usage; streams of --chunks content chunks, a finish chunk, the usage chunk, [DONE]). A
compiled load generator sends closed-loop load and validates every answer. Each server runs
pinned alone to --server-core; upstream, load generator and this script share --load-core.
Rounds are interleaved (every server, every level, every scenario, then again), so a change in
the machine's other load falls on all of them alike; each figure is the median over rounds.

CPU per request = the server's CPU time over one cell (the sum of its threads'
/proc/<pid>/task/*/schedstat deltas, children included; when a thread or child ended during the
cell, the tick counts of /proc/<pid>/stat, which keep its time, if they say more) / the requests
answered in that cell. For a one-process event
loop that sets its throughput ceiling on a core, whatever else the machine runs.

Scenarios: Chat caller -> Chat upstream (native), streamed or not, for every server; Responses
caller -> Chat upstream (bridged), for the router only (the bare proxy cannot translate; the
peers' Responses endpoints call an upstream /responses, which is not the bridge measured here).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import PEERS, Server, start_bare, start_router, workdir
from tools import benchtool, cpu_sample, cpu_spent, free_port, pinned, stop, wait_port

SYSTEM = "You are a concise assistant. Answer in plain prose, no lists."
PROMPT = "Summarise the plot of a short story about a fox and a dog in three sentences."
CHAT = {"model": "bench", "max_tokens": 256, "temperature": 0.2,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]}  # fmt: skip
RESPONSES = {"model": "bench", "max_output_tokens": 256, "instructions": SYSTEM,
             "input": [{"role": "user", "content": PROMPT}]}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    body: dict[str, object]
    kind: str  # how the load generator validates answers: chat | responses
    bridged: bool


SCENARIOS = (
    Scenario("chat", "/v1/chat/completions", CHAT, "chat", False),
    Scenario(
        "chat stream",
        "/v1/chat/completions",
        {**CHAT, "stream": True, "stream_options": {"include_usage": True}},
        "chat",
        False,
    ),
    Scenario("responses->chat", "/v1/responses", RESPONSES, "responses", True),
    Scenario(
        "responses->chat stream", "/v1/responses", {**RESPONSES, "stream": True}, "responses", True
    ),
)


@dataclass
class Cell:
    scenario: str
    server: str
    c: int
    cpu_us: list[float]
    p50_ms: list[float]
    p99_ms: list[float]
    rps: list[float]
    requests: int = 0
    failures: int = 0
    first_failure: str = ""


def _load(tool: Path, core: int | None, server: Server, sc: Scenario, body: Path, c: int,
          seconds: float) -> dict[str, object]:  # fmt: skip
    args = [str(tool), "load", "-url", server.base + sc.path, "-body", str(body), "-c", str(c),
            "-d", str(seconds), "-kind", sc.kind]  # fmt: skip
    for header in server.headers:
        args += ["-H", header]
    out = subprocess.run(pinned(core, args), capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def _measure(tool: Path, core: int | None, server: Server, sc: Scenario, body: Path, c: int,
             seconds: float, cell: Cell) -> None:  # fmt: skip
    before = cpu_sample(server.proc.pid)
    r = _load(tool, core, server, sc, body, c, seconds)
    spent = cpu_spent(before, cpu_sample(server.proc.pid))
    n = int(r["requests"])  # type: ignore[call-overload]
    cell.requests += n
    cell.failures += int(r["failures"])  # type: ignore[call-overload]
    if r.get("first_failure") and not cell.first_failure:
        cell.first_failure = str(r["first_failure"])
    if n:
        cell.cpu_us.append(spent / 1000 / n)
        cell.p50_ms.append(float(r["p50_ms"]))  # type: ignore[arg-type]
        cell.p99_ms.append(float(r["p99_ms"]))  # type: ignore[arg-type]
        cell.rps.append(n / float(r["seconds"]))  # type: ignore[arg-type]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(cells: list[Cell], levels: list[int]) -> list[dict[str, object]]:
    """One row per scenario and server: median CPU us/request per level and its ratio (native:
    to the bare proxy; bridged: to the same server's native Chat at the same stream mode)."""
    by = {(x.scenario, x.server, x.c): x for x in cells}
    rows = []
    for sc in SCENARIOS:
        for server in dict.fromkeys(x.server for x in cells if x.scenario == sc.name):
            row: dict[str, object] = {"scenario": sc.name, "server": server}
            for c in levels:
                cell = by[(sc.name, server, c)]
                cpu = _median(cell.cpu_us)
                base_key = (
                    ("chat stream" if "stream" in sc.name else "chat", server, c)
                    if sc.bridged
                    else (sc.name, "bare", c)
                )
                base = by.get(base_key)
                ratio = cpu / _median(base.cpu_us) if base and base.cpu_us else None
                row[f"c{c}"] = {
                    "cpu_us": round(cpu, 1),
                    "ratio": None if ratio is None else round(ratio, 2),
                    "p50_ms": round(_median(cell.p50_ms), 2),
                    "p99_ms": round(_median(cell.p99_ms), 2),
                    "rps": round(_median(cell.rps)),
                    "requests": cell.requests,
                    "failures": cell.failures,
                    "first_failure": cell.first_failure,
                }
            rows.append(row)
    return rows


def print_table(rows: list[dict[str, object]], levels: list[int]) -> None:
    heads = " | ".join(f"c={c}" for c in levels)
    print("\nCPU per request, us (ratio: native rows to the bare proxy; bridged rows to the")
    print("router's native Chat at the same stream mode); median over rounds\n")
    print(f"| scenario | server | {heads} |")
    print("|---|---|" + "---:|" * len(levels))
    for row in rows:
        parts = []
        for c in levels:
            v = row[f"c{c}"]
            assert isinstance(v, dict)
            text = f"{v['cpu_us']:,.0f}"
            if v["ratio"] is not None and row["server"] != "bare":
                text += f" ({v['ratio']:.2f}x)"
            if v["failures"]:
                text += f" FAILED {v['failures']}"
            parts.append(text)
        print(f"| {row['scenario']} | {row['server']} | " + " | ".join(parts) + " |")
    print("\nlatency p50 / p99, ms (closed loop, load generator on the other core)\n")
    print(f"| scenario | server | {heads} |")
    print("|---|---|" + "---:|" * len(levels))
    for row in rows:
        cells = [row[f"c{c}"] for c in levels]
        text = " | ".join(f"{v['p50_ms']:.2f} / {v['p99_ms']:.2f}" for v in cells)  # type: ignore[index]
        print(f"| {row['scenario']} | {row['server']} | {text} |")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="c=1,8, 0.3 s cells, one round")
    parser.add_argument("--levels", default=None, help="concurrency levels (default 1,8,32,64)")
    parser.add_argument("--seconds", type=float, default=None, help="per cell (default 2)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3)")
    parser.add_argument("--peers", default="litellm,portkey", help="comma list, or 'none'")
    parser.add_argument("--only", default="", help="comma list of servers to keep (e.g. router)")
    parser.add_argument("--scenarios", default="", help="comma list of scenario names")
    parser.add_argument("--chunks", type=int, default=50, help="content chunks per stream")
    parser.add_argument("--server-core", type=int, default=1)
    parser.add_argument("--load-core", type=int, default=0)
    parser.add_argument("--no-pin", action="store_true", help="do not pin (machines with 1 CPU)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="also run the router of this checkout (A/B side by side)")  # fmt: skip
    return parser.parse_args()


def _cores(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """(server core, load core), or None for both: --no-pin, or a machine without those cores."""
    cores = os.sched_getaffinity(0)
    if args.no_pin:
        return None, None
    if not {args.server_core, args.load_core} <= cores or args.server_core == args.load_core:
        print(f"cores {sorted(cores)}: cannot pin to {args.server_core} and {args.load_core}")
        return None, None
    return args.server_core, args.load_core


def main() -> int:
    args = _args()
    levels = [int(x) for x in (args.levels or ("1,8" if args.quick else "1,8,32,64")).split(",")]
    seconds = args.seconds or (0.3 if args.quick else 2.0)
    rounds = args.rounds or (1 if args.quick else 3)
    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    server_core, load_core = _cores(args)
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    tool = benchtool()
    load_start = os.getloadavg()
    servers: list[Server] = []
    with workdir() as tmp:
        work = Path(tmp)
        up_port = free_port()
        upstream_proc = subprocess.Popen(
            pinned(load_core, [str(tool), "upstream", "-port", str(up_port), "-chunks",
                               str(args.chunks)]), start_new_session=True,
        )  # fmt: skip
        try:
            wait_port(up_port, upstream_proc, 30)
            upstream = f"http://127.0.0.1:{up_port}"
            servers.append(start_bare(upstream, server_core))
            servers.append(start_router(upstream, server_core, work))
            for tree in args.compare:
                servers.append(start_router(upstream, server_core, work, tree.resolve()))
            for name in peers:
                try:
                    servers.append(PEERS[name](upstream, server_core, work))
                except (RuntimeError, subprocess.CalledProcessError) as exc:
                    print(f"{name}: could not start ({exc}); left out of this run")
            if args.only:
                keep = set(args.only.split(","))
                servers = [s for s in servers if s.name in keep]
            scenarios = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios.split(",")]  # fmt: skip
            cells = run(tool, load_core, servers, scenarios, levels, seconds, rounds, work)
        finally:
            for s in servers:
                stop(s.proc)
            stop(upstream_proc)
    load_end = os.getloadavg()
    rows = summary(cells, levels)
    print(f"\ncpus {os.cpu_count()}, servers pinned to core {server_core}, upstream + load on "
          f"core {load_core}; {rounds} rounds of {seconds:g} s cells; stream: {args.chunks} "
          f"chunks + usage")  # fmt: skip
    print(f"load average (1/5/15 min) at start {load_start[0]:.2f} {load_start[1]:.2f} "
          f"{load_start[2]:.2f}, at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")  # fmt: skip
    for s in servers:
        if s.note:
            print(f"{s.name}: {s.note}")
    print_table(rows, levels)
    failed = [
        f"{r['scenario']} {r['server']} c={c}: {r[f'c{c}']['first_failure']}"  # type: ignore[index]
        for r in rows
        for c in levels
        if r[f"c{c}"]["failures"]  # type: ignore[index]
    ]
    for line in failed:
        print(f"FAILED {line}")
    if args.json:
        figures = {"load_average": [load_start, load_end], "levels": levels, "rows": rows}
        args.json.write_text(json.dumps(figures, indent=1))
    return 1 if failed else 0


def run(tool: Path, core: int | None, servers: list[Server], scenarios: list[Scenario],
        levels: list[int], seconds: float, rounds: int, work: Path) -> list[Cell]:  # fmt: skip
    bodies = {}
    for sc in scenarios:
        path = work / f"{sc.name.replace(' ', '_').replace('>', '')}.json"
        path.write_text(json.dumps(sc.body, separators=(",", ":")))
        bodies[sc.name] = path
    plan = [(sc, s) for sc in scenarios for s in servers if s.bridges or not sc.bridged]
    cells = {(sc.name, s.name, c): Cell(sc.name, s.name, c, [], [], [], [])
             for sc, s in plan for c in levels}  # fmt: skip
    for sc, s in plan:  # warm up pools, caches and JITs (not counted)
        warm = Cell(sc.name, s.name, 8, [], [], [], [])
        _measure(tool, core, s, sc, bodies[sc.name], 8, min(seconds, 1.0), warm)
        if warm.failures:
            print(f"warm-up {sc.name} {s.name}: {warm.first_failure}", file=sys.stderr)
    for k in range(rounds):
        for sc in scenarios:
            for c in levels:
                order = [s for sc2, s in plan if sc2 is sc]
                order = order[k % len(order) :] + order[: k % len(order)]  # rotate each round
                for s in order:
                    _measure(tool, core, s, sc, bodies[sc.name], c, seconds, cells[(sc.name, s.name, c)])  # fmt: skip
        print(f"round {k + 1}/{rounds} done (load average {os.getloadavg()[0]:.2f})", flush=True)
    return list(cells.values())


if __name__ == "__main__":
    sys.exit(main())
