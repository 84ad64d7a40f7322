"""Profile the router on its pinned core under the bench's load, with py-spy.

    python bench/profile_router.py [--scenario chat|"chat stream"|...] [--c 32] [--seconds 20]

Starts the compiled upstream and the router as the bench does (router alone on --server-core),
samples the router with py-spy (`pip install py-spy`; run as root or with ptrace rights) while
the load generator drives one scenario, and prints the functions that hold the most samples,
by own time and by time including callees. The collapsed stacks are kept for flame graphs.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import start_bare, start_router, workdir
from router_bench import SCENARIOS
from tools import benchtool, cache_dir, free_port, pinned, stop, wait_port


def _report(collapsed: Path, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    print(f"{samples} samples")
    for title, counter in (("own", own), ("including callees", total)):
        print(f"\ntop {top} by {title}")
        for frame, n in counter.most_common(top):
            print(f"{100 * n / samples:5.1f}%  {frame}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="chat")
    parser.add_argument("--c", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--server-core", type=int, default=1)
    parser.add_argument("--load-core", type=int, default=0)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--server", choices=("router", "bare"), default="router",
                        help="bare: the baseline proxy, to compare where the time goes")  # fmt: skip
    args = parser.parse_args()
    scenario = next(s for s in SCENARIOS if s.name == args.scenario)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    tool = benchtool()
    out = (
        cache_dir()
        / f"profile-{args.server}-{scenario.name.replace(' ', '_').replace('>', '')}.txt"
    )
    with workdir() as tmp:
        work = Path(tmp)
        body = work / "body.json"
        body.write_text(json.dumps(scenario.body, separators=(",", ":")))
        port = free_port()
        up = subprocess.Popen(pinned(args.load_core, [str(tool), "upstream", "-port", str(port)]),
                              start_new_session=True)  # fmt: skip
        router = None
        try:
            wait_port(port, up, 30)
            upstream = f"http://127.0.0.1:{port}"
            router = (
                start_bare(upstream, args.server_core)
                if args.server == "bare"
                else start_router(upstream, args.server_core, work)
            )
            load = [str(tool), "load", "-url", router.base + scenario.path, "-body", str(body),
                    "-c", str(args.c), "-d", str(args.seconds), "-kind", scenario.kind]  # fmt: skip
            spy = subprocess.Popen(pinned(args.load_core, [
                py_spy, "record", "--pid", str(router.proc.pid), "--nonblocking", "--rate", "250",
                "--format", "raw", "--output", str(out), "--duration", str(int(args.seconds))]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            result = subprocess.run(pinned(args.load_core, load), capture_output=True, text=True,
                                    check=True)  # fmt: skip
            spy.wait(timeout=60)
            print(result.stdout.strip())
        finally:
            if router is not None:
                stop(router.proc)
            stop(up)
    print(f"collapsed stacks: {out}")
    _report(out, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
