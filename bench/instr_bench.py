"""Instructions per request under callgrind: a noise-free A/B of the router's CPU work.

    python bench/instr_bench.py [--compare /path/to/other/checkout] [--c 8] [--seconds 15]

On a shared machine CPU time per request moves by +-15% from run to run (router_bench.py);
the user-space instructions a server executes per request do not depend on what else runs.
Each server (the bare proxy, this tree's router, every --compare router) runs under
`valgrind --tool=callgrind` with instrumentation off while it starts and warms up; then, per
scenario, instrumentation is switched on and the counters zeroed (`callgrind_control`), the
bench's load generator drives the scenario for --seconds, and the counters are dumped: their
total over the requests answered in that window is the figure (in steady state the requests in
flight at both edges cancel out). Kernel time (syscalls) is not counted, and a cache miss costs
as much as an add: use it to compare Python-level work, and router_bench.py for the time.
Valgrind slows a server ~50x: a 15 s window holds a few hundred requests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import Server, start_bare, start_router, workdir
from router_bench import SCENARIOS, Scenario
from tools import benchtool, free_port, pinned, stop, wait_port


def _control(flag: str, pid: int) -> None:
    subprocess.run(["callgrind_control", flag, str(pid)], check=True, capture_output=True)


def _total(out: Path, pid: int) -> int:
    """The instructions of the last dump of `pid` (its `summary:` or `totals:` line)."""
    dumps = sorted(out.glob(f"cg.{pid}*"), key=lambda p: p.stat().st_mtime)
    for line in reversed(dumps[-1].read_text(errors="replace").splitlines()):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dumps[-1]}")


def _window(tool: Path, core: int | None, server: Server, sc: Scenario, body: Path, c: int,
            seconds: float, out: Path) -> tuple[int, int]:  # fmt: skip
    """(instructions, requests) of one load window."""
    pid = server.proc.pid
    subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
    _control("-z", pid)
    args = [str(tool), "load", "-url", server.base + sc.path, "-body", str(body), "-c", str(c),
            "-d", str(seconds), "-kind", sc.kind]  # fmt: skip
    r = json.loads(subprocess.run(pinned(core, args), capture_output=True, text=True,
                                  check=True).stdout)  # fmt: skip
    _control("-d", pid)
    subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True, capture_output=True)
    if r["failures"]:
        raise RuntimeError(f"{server.name} {sc.name}: {r.get('first_failure')}")
    return _total(out, pid), int(r["requests"])


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, action="append", default=[])
    parser.add_argument("--scenarios", default="", help="comma list of scenario names")
    parser.add_argument("--c", type=int, default=8, help="concurrency")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--no-bare", action="store_true")
    parser.add_argument("--keep", type=Path, help="copy the callgrind dumps here (for "
                        "callgrind_annotate)")  # fmt: skip
    return parser.parse_args()


def _servers(args: argparse.Namespace, upstream: str, work: Path, out: Path) -> list[Server]:
    prefix = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
              f"--callgrind-out-file={out}/cg.%p"]  # fmt: skip
    servers = [] if args.no_bare else [start_bare(upstream, None, prefix)]
    servers.append(start_router(upstream, None, work, None, prefix))
    for tree in args.compare:
        servers.append(start_router(upstream, None, work, tree.resolve(), prefix))
    return servers


def _warm(tool: Path, servers: list[Server], scenarios: list[Scenario], bodies: dict[str, Path],
          c: int) -> None:  # fmt: skip
    """Uninstrumented load first: pools, caches, first-use paths."""
    for s in servers:
        for sc in scenarios:
            if s.bridges or not sc.bridged:
                args = [str(tool), "load", "-url", s.base + sc.path, "-body",
                        str(bodies[sc.name]), "-c", str(c), "-d", "3", "-kind", sc.kind]  # fmt: skip
                subprocess.run(args, capture_output=True, check=True)


def _print(figures: dict[tuple[str, str], list[float]], c: int) -> None:
    print(f"\nthousands of instructions per request (callgrind, c={c}, median of rounds)\n")
    print("| scenario | server | k instr | vs bare / vs router |")
    print("|---|---|---:|---:|")
    med = {k: sorted(v)[len(v) // 2] for k, v in figures.items()}
    for (scn, name), v in med.items():
        base = med.get((scn, "bare"))
        mine = med.get((scn, "router"))
        ratios = []
        if base and name != "bare":
            ratios.append(f"{v / base:.2f}x bare")
        if mine and name.startswith("router@"):
            ratios.append(f"router {mine / v:.2f}x of it")
        print(f"| {scn} | {name} | {v / 1000:,.1f} | {', '.join(ratios)} |")


def main() -> int:
    args = _args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        print("needs valgrind (callgrind, callgrind_control)")
        return 2
    tool = benchtool()
    scenarios = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios.split(",")]  # fmt: skip
    figures: dict[tuple[str, str], list[float]] = {}
    with workdir() as tmp:
        work = Path(tmp)
        out = work / "cg"
        out.mkdir()
        port = free_port()
        up = subprocess.Popen([str(tool), "upstream", "-port", str(port), "-chunks",
                               str(args.chunks)], start_new_session=True)  # fmt: skip
        servers: list[Server] = []
        try:
            wait_port(port, up, 30)
            servers = _servers(args, f"http://127.0.0.1:{port}", work, out)
            bodies = {}
            for sc in scenarios:
                bodies[sc.name] = work / f"{sc.name.replace(' ', '_').replace('>', '')}.json"
                bodies[sc.name].write_text(json.dumps(sc.body, separators=(",", ":")))
            _warm(tool, servers, scenarios, bodies, args.c)
            for k in range(args.rounds):
                for sc in scenarios:
                    for s in servers:
                        if not s.bridges and sc.bridged:
                            continue
                        n_instr, n_req = _window(tool, None, s, sc, bodies[sc.name], args.c,
                                                 args.seconds, out)  # fmt: skip
                        per = n_instr / max(n_req, 1)
                        figures.setdefault((sc.name, s.name), []).append(per)
                        print(f"round {k + 1} {sc.name:24} {s.name:24} {per / 1000:9.1f} k instr/"
                              f"request ({n_req} requests)", flush=True)  # fmt: skip
        finally:
            for s in servers:
                stop(s.proc)
            stop(up)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for s in servers:
                    for dump in out.glob(f"cg.{s.proc.pid}*"):
                        shutil.copy(dump, args.keep / f"{s.name}.{dump.name}")
    _print(figures, args.c)
    return 0


if __name__ == "__main__":
    sys.exit(main())
