"""Python opcodes per request, by function: where the router's work goes, without noise.

    python bench/opcode_profile.py [--scenario chat] [--seconds 5] [--against bare]

Starts the bench upstream and the server (this tree's router, another tree's with --tree, or the
bare proxy) under bench/opcount.py, warms it up, counts every Python opcode it executes while
the load generator drives one scenario at c=8, and prints opcodes per request by function,
next to the same figures of `--against` (the bare proxy by default) and their difference. An
opcode is not a fixed cost (a call into orjson is one), so read it with instr_bench.py.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import Server, start_bare, start_router, workdir
from router_bench import SCENARIOS
from tools import benchtool, free_port, stop, wait_port

HERE = Path(__file__).resolve().parent


def counts(which: str, scenario: str, seconds: float, tree: Path | None) -> dict[str, float]:
    """Opcodes per request by function of one server (`router` or `bare`)."""
    tool = benchtool()
    sc = next(s for s in SCENARIOS if s.name == scenario)
    with workdir() as tmp:
        work = Path(tmp)
        out = work / "counts.json"
        os.environ["OPCOUNT_OUT"] = str(out)
        body = work / "body.json"
        body.write_text(json.dumps(sc.body, separators=(",", ":")))
        port = free_port()
        up = subprocess.Popen([str(tool), "upstream", "-port", str(port)], start_new_session=True)
        server: Server | None = None
        try:
            wait_port(port, up, 30)
            prefix = [sys.executable, str(HERE / "opcount.py")]
            upstream = f"http://127.0.0.1:{port}"
            server = (
                start_bare(upstream, None, prefix)
                if which == "bare"
                else start_router(upstream, None, work, tree, prefix)
            )
            load = [str(tool), "load", "-url", server.base + sc.path, "-body", str(body),
                    "-c", "8", "-kind", sc.kind]  # fmt: skip
            subprocess.run([*load, "-d", "2"], capture_output=True, check=True)
            os.kill(server.proc.pid, signal.SIGRTMIN + 3)
            run = subprocess.run([*load, "-d", str(seconds)], capture_output=True, text=True,
                                 check=True)  # fmt: skip
            os.kill(server.proc.pid, signal.SIGRTMIN + 4)
            deadline = time.monotonic() + 30
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)  # written whole
        finally:
            if server is not None:
                stop(server.proc)
            stop(up)
        n = int(json.loads(run.stdout)["requests"])
        own: dict[str, int] = json.loads(out.read_text())["own"]
        return {k: v / max(n, 1) for k, v in own.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="chat")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--tree", type=Path, help="the router of this checkout")
    parser.add_argument("--against", choices=("bare", "none"), default="bare")
    parser.add_argument("--top", type=int, default=50)
    args = parser.parse_args()
    mine = counts("router", args.scenario, args.seconds, args.tree)
    base = counts("bare", args.scenario, args.seconds, None) if args.against == "bare" else {}
    print(f"opcodes per request: router {sum(mine.values()):,.0f}, "
          f"{args.against} {sum(base.values()):,.0f}\n")  # fmt: skip
    print(f"{'router':>8} {args.against:>8} {'extra':>8}  function")
    rows = sorted(set(mine) | set(base), key=lambda k: base.get(k, 0) - mine.get(k, 0))
    for k in rows[: args.top]:
        a, b = mine.get(k, 0), base.get(k, 0)
        print(f"{a:8.1f} {b:8.1f} {a - b:8.1f}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
