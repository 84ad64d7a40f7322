"""Bench plumbing: the cache dir, the compiled bench tool, process CPU from /proc, pinning."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

LOADGEN = Path(__file__).resolve().parent / "loadgen"


def cache_dir() -> Path:
    """~/.cache/switchyard/bench (or $XDG_CACHE_HOME/switchyard/bench): build outputs and peers."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = base / "switchyard" / "bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def benchtool() -> Path:
    """The Go upstream + load generator, built once per source digest into the cache."""
    digest = hashlib.sha256()
    for name in ("go.mod", "main.go"):
        digest.update((LOADGEN / name).read_bytes())
    binary = cache_dir() / "benchtool" / digest.hexdigest()[:16] / "benchtool"
    if not binary.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        binary.parent.mkdir(parents=True, exist_ok=True)
        tmp = binary.with_suffix(".partial")
        proc = subprocess.run(
            [go, "build", "-trimpath", "-o", str(tmp), "."],
            cwd=LOADGEN, capture_output=True, text=True, timeout=900, check=False,
            env={**os.environ, "CGO_ENABLED": "0"},
        )  # fmt: skip
        if proc.returncode != 0:
            raise SystemExit(f"go build bench/loadgen failed:\n{proc.stderr[-4000:]}")
        tmp.rename(binary)
    return binary


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


def cpu_ns(pid: int) -> int:
    """CPU time (ns) the process tree has run: the sum of each thread's /proc schedstat."""
    total = 0
    for p in _descendants(pid):
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                total += int(Path(f"/proc/{p}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total


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
