"""Fixtures: a real fake-upstream process on 127.0.0.1 serving tests/smoke/scenario.yaml."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).parent
PLANTED_KEY = "sk-planted-SECRET-4f1c2b"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def upstream() -> Iterator[str]:
    """Base URL (`.../v1`) of a fake upstream serving every behaviour the probes meet."""
    port = free_port()
    # a file, not a pipe: an unread pipe could stall the server
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "switchyard.cli", "mock-upstream", "--port", str(port),
             "--scenario", str(HERE / "scenario.yaml")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/_mock/health", proc)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            stop(proc)
            log.seek(0)
            tail = log.read()[-4000:].decode(errors="replace")
            if "Traceback" in tail:
                print("fake upstream log:\n" + tail)


def probe_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real `switchyard probe` command."""
    return subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "probe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
