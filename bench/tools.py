"""Bench plumbing: the cache dir, the compiled bench tool, process CPU from /proc, pinning."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = ROOT / "bench" / "loadgen"
sys.path.insert(0, str(ROOT))  # e2e.gotool, switchyard, tests.router.harness


def cache_dir() -> Path:
    """~/.cache/switchyard/bench (or $XDG_CACHE_HOME/switchyard/bench): build outputs and peers."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = base / "switchyard" / "bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def benchtool() -> Path:
    """The Go upstream + load generator, built once per source digest into the cache."""
    from e2e.gotool import go_binary

    return go_binary(LOADGEN, "bench/benchtool", readonly=False)


def pinned(core: int | None, args: list[str]) -> list[str]:
    return args if core is None else ["taskset", "-c", str(core), *args]


def _descendants(pid: int) -> list[int]:
    """pid and every live descendant (a server may fork workers)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def cpu_sample(pid: int) -> tuple[dict[tuple[int, int], int], int]:
    """The process tree's CPU so far: (ns per live thread from /proc/.../task/*/schedstat,
    ns of the whole tree from /proc/<pid>/stat in clock ticks: utime + stime + reaped children,
    which still counts threads and children that have ended)."""
    threads: dict[tuple[int, int], int] = {}
    ticks = 0
    for p in _descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        for tid in tasks:
            try:
                ns = int(Path(f"/proc/{p}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            threads[(p, int(tid))] = ns
    return threads, ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def cpu_spent(before: tuple[dict[tuple[int, int], int], int],
              after: tuple[dict[tuple[int, int], int], int]) -> int:  # fmt: skip
    """CPU ns between two samples: per-thread schedstat deltas (precise), unless the tick count
    says more was spent (a thread or child ended in between and took its schedstat along)."""
    precise = sum(ns - before[0].get(key, 0) for key, ns in after[0].items())
    return max(precise, after[1] - before[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the port accepts connections (or the process dies, or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open in {timeout:g}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own session: its whole process group (workers too)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
