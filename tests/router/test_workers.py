"""`switchyard router --workers 2`: one port, two processes, one set of totals and usage rows."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson

from switchyard.router.metrics import RouterMetrics
from switchyard.router.metrics_merge import render, snapshot

from .harness import (
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    free_port,
    provider,
    provider_keys,
    run_router,
    wait_http,
)

TWO = {"SWITCHYARD_ROUTER_WORKERS": "2"}
CHAT = {"model": "g", "messages": [{"role": "user", "content": "hi"}]}


def _config(mock: Mock):  # type: ignore[no-untyped-def]
    p = provider("a", mock.url + "/v1", models={"m": "model-a", "slow": "slow-model"})
    return build([p], [G("g", [T("a")]), G("slow", [T("a", "slow")])], [evidence(p), evidence(p, "slow")])  # fmt: skip


def _requests_total(text: str) -> float:
    return sum(float(v) for v in re.findall(r"^switchyard_requests_total\{.*\} (\S+)$", text, re.M))


def _spread(router: Router, minimum: int) -> dict[int, int]:
    """Requests on fresh connections until both workers served some and `minimum` were sent;
    the connection's worker is read from /readyz on the same connection."""
    served: dict[int, int] = {}
    while len(served) < 2 or sum(served.values()) < minimum:
        with httpx.Client(base_url=router.url) as conn:
            ready = conn.get("/readyz").json()
            assert ready["status"] == "ready", ready
            reply = conn.post("/v1/chat/completions", json=CHAT)
            assert reply.status_code == 200, reply.text
            served[ready["worker"]] = served.get(ready["worker"], 0) + 1
    return served


def _exit_code(router: Router, after: str, timeout: float = 60) -> int:
    """The router's exit code; if it is still running after `timeout`, fail with where it is
    stuck: every thread's stack (SIGUSR1) and every worker's asyncio tasks (SIGUSR2)."""
    try:
        return router.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pid = router.proc.pid
        workers = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        for each in (pid, *workers):
            os.kill(each, signal.SIGUSR1)
        os.kill(pid, signal.SIGUSR2)  # passed on to the workers
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            router.logs().count("most recent call first") < 1 + len(workers)
            or router.logs().count("asyncio tasks of pid") < len(workers)
        ):
            threading.Event().wait(0.1)
        raise AssertionError(f"still running {timeout} s {after}:\n{router.logs()}") from None


def test_a_scrape_through_any_worker_sees_the_totals_of_all(tmp_path: Path, mock: Mock) -> None:
    with run_router(tmp_path, _config(mock), provider_keys("a"), **TWO) as router:
        served = _spread(router, 20)
        total = sum(served.values())
        scraped_by: set[int] = set()
        while scraped_by != {0, 1}:  # a scrape answered by each worker in turn
            with httpx.Client(base_url=router.url) as conn:
                scraped_by.add(conn.get("/readyz").json()["worker"])
                text = conn.get("/metrics").text
            assert _requests_total(text) == total, (served, text)
            count = re.search(
                r"^switchyard_request_duration_seconds_count\{.*\} (\S+)$", text, re.M
            )
            assert count is not None and float(count.group(1)) == total
            # one series per revision (both workers serve the same), never a sum of them
            assert re.findall(r"^switchyard_config_info\{.*\} (\S+)$", text, re.M) == ["1.0"]
        rows = router.wait_usage_rows(total)
        assert len(rows) == total and len({r["request_id"] for r in rows}) == total
        logs = router.logs()  # each worker's lines say which worker wrote them
        assert "worker-0 switchyard.router.reload" in logs
        assert "worker-1 switchyard.router.reload" in logs


def test_merged_metrics_add_counters_and_histograms_and_keep_gauges_sensible() -> None:
    a, b = RouterMetrics(), RouterMetrics()
    for m, n in ((a, 2), (b, 3)):
        s = m.series("g", "p", "m")
        for _ in range(n):
            s.requests("openai-chat", "ok").inc()
            s.duration().observe(0.2)
        m.set_revision("r1")
        m.open_connections.set(n)
    b.series("g", "p", "m2").requests("openai-chat", "ok").inc()  # a series only b has
    assert render([snapshot(a.registry)]) == a.render()  # one worker: exactly its own scrape
    text = render([snapshot(a.registry), snapshot(b.registry)]).decode()
    assert 'model="m",outcome="ok",provider="p"} 5.0' in text
    assert 'model="m2",outcome="ok",provider="p"} 1.0' in text
    assert 'switchyard_request_duration_seconds_bucket{group="g",le="0.25",model="m",provider="p"} 5.0' in text  # fmt: skip
    assert 'switchyard_request_duration_seconds_sum{group="g",model="m",provider="p"} 1.0' in text
    assert 'switchyard_config_info{revision="r1"} 1.0' in text
    assert "switchyard_open_connections 5.0" in text


async def test_concurrent_rows_of_two_workers_are_whole_lines_none_lost(
    tmp_path: Path, mock: Mock
) -> None:
    with run_router(tmp_path, _config(mock), provider_keys("a"), **TWO) as router:
        await asyncio.to_thread(_spread, router, 2)  # both workers up

        async def client(n: int) -> None:
            async with httpx.AsyncClient(base_url=router.url) as conn:
                for _ in range(n):
                    assert (await conn.post("/v1/chat/completions", json=CHAT)).status_code == 200

        await asyncio.gather(*(client(25) for _ in range(16)))
        raw = router.usage_file.read_bytes()
        lines = raw.splitlines()
        rows = [orjson.loads(line) for line in lines]  # a torn line fails to parse here
        assert raw.endswith(b"\n") and len(rows) >= 400 + 2
        assert len({r["request_id"] for r in rows}) == len(rows)


def test_rows_to_a_shared_stdout_pipe_stay_whole(tmp_path: Path, mock: Mock) -> None:
    env = {**TWO, "SWITCHYARD_ROUTER_USAGE_SINK": "stdout"}
    config = tmp_path / "router.json"
    config.write_text(_config(mock).to_json())
    (tmp_path / "secrets" / "provider-keys").mkdir(parents=True)
    (tmp_path / "secrets" / "provider-keys" / "a").write_text(PROVIDER_KEY)
    port = free_port()
    args = [sys.executable, "-m", "switchyard.cli", "router", "--config", str(config),
            "--host", "127.0.0.1", "--port", str(port), "--secrets-dir", str(tmp_path / "secrets")]  # fmt: skip
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **env}
    )
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        router = Router(port, proc, config, tmp_path, tmp_path / "none", tmp_path / "none")
        sent = sum(_spread(router, 2).values())

        def burst() -> None:
            with httpx.Client(base_url=router.url) as conn:
                for _ in range(25):
                    assert conn.post("/v1/chat/completions", json=CHAT).status_code == 200

        threads = [threading.Thread(target=burst) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sent += 8 * 25
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        reader.join()
    rows = [orjson.loads(line) for line in out[0].splitlines()]
    assert len(rows) == sent and all(r["status"] == 200 for r in rows)


def test_sigterm_drains_every_worker_and_keeps_every_row(tmp_path: Path, mock: Mock) -> None:
    mock.scenario({"defaults": {"apiKey": PROVIDER_KEY},
                   "models": {"slow-model": {"latencyMs": 1500}}})  # fmt: skip
    with run_router(tmp_path, _config(mock), provider_keys("a"), **TWO) as router:
        fast = sum(_spread(router, 4).values())
        slow: list[int] = []

        def slow_request() -> None:
            with httpx.Client(base_url=router.url, timeout=60) as conn:
                slow.append(conn.post("/v1/chat/completions", json={**CHAT, "model": "slow"}).status_code)  # fmt: skip

        threads = [threading.Thread(target=slow_request) for _ in range(6)]
        for t in threads:
            t.start()
        while mock.count("slow-model") < 6:  # all six are in flight upstream
            threading.Event().wait(0.02)
        router.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join()
        assert _exit_code(router, "after SIGTERM") == 0
        assert slow == [200] * 6
        rows = router.usage_rows()
        assert len(rows) == fast + 6 and sum(r["group"] == "slow" for r in rows) == 6


def test_a_worker_that_dies_stops_the_router(tmp_path: Path, mock: Mock) -> None:
    with run_router(tmp_path, _config(mock), provider_keys("a"), **TWO) as router:
        _spread(router, 2)
        pid = router.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(children) == 2
        os.kill(int(children[0]), signal.SIGKILL)
        code = _exit_code(router, "after a worker died")
        assert code == 1  # the pod restarts, as with one process
        assert "exited (-9); stopping the others" in router.logs()
        assert not Path(f"/proc/{children[1]}").exists()  # stopped and reaped


def test_workers_need_a_fixed_port(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "router", "--workers", "2", "--port", "0"],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "workers > 1 need a fixed port" in done.stderr


def test_sigterm_cancels_what_outlasts_the_drain_timeout_and_keeps_its_row(
    tmp_path: Path, mock: Mock
) -> None:
    """A request still running when the drain timeout ends is cancelled, booked 503 (never
    ok, never the upstream's fault), and the router exits 0 long before the upstream answers:
    inside the pod's grace period, not at the kubelet's SIGKILL."""
    mock.scenario({"defaults": {"apiKey": PROVIDER_KEY},
                   "models": {"slow-model": {"latencyMs": 120_000}}})  # fmt: skip
    env = {**TWO, "SWITCHYARD_ROUTER_DRAIN_TIMEOUT": "1"}
    with run_router(tmp_path, _config(mock), provider_keys("a"), **env) as router:
        fast = sum(_spread(router, 2).values())
        outcome: list[str] = []

        def slow_request() -> None:
            with httpx.Client(base_url=router.url, timeout=300) as conn:
                try:
                    conn.post("/v1/chat/completions", json={**CHAT, "model": "slow"})
                    outcome.append("answered")
                except httpx.HTTPError as exc:
                    outcome.append(type(exc).__name__)

        thread = threading.Thread(target=slow_request)
        thread.start()
        while mock.count("slow-model") < 1:  # in flight upstream
            threading.Event().wait(0.02)
        router.proc.send_signal(signal.SIGTERM)
        assert _exit_code(router, "after SIGTERM", 100) == 0  # the upstream answers after 120 s
        thread.join()
        assert outcome and outcome != ["answered"]
        rows = router.usage_rows()
        slow = [r for r in rows if r["group"] == "slow"]
        assert len(rows) == fast + 1 and len(slow) == 1
        assert slow[0]["status"] == 503 and slow[0]["error_class"] is None


def test_sigusr1_writes_every_threads_stack_and_the_router_keeps_serving(
    tmp_path: Path, mock: Mock
) -> None:
    with run_router(tmp_path, _config(mock), provider_keys("a")) as router:
        router.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while "most recent call first" not in router.logs() and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        logs = router.logs()
        assert "Current thread" in logs and "most recent call first" in logs, logs
        reply = httpx.post(f"{router.url}/v1/chat/completions", json=CHAT)
        assert reply.status_code == 200 and router.proc.poll() is None


def test_sigusr2_writes_every_workers_asyncio_tasks_and_no_request_content(
    tmp_path: Path, mock: Mock
) -> None:
    """`kill -USR2` on the router: each worker writes its tasks and the awaits they are in
    (a request in flight shows its handler's frames), never a body or key; all keep serving."""
    mock.scenario({"defaults": {"apiKey": PROVIDER_KEY},
                   "models": {"slow-model": {"latencyMs": 3000}}})  # fmt: skip
    planted = "planted-body-text-3b9e"
    with run_router(tmp_path, _config(mock), provider_keys("a"), **TWO) as router:
        _spread(router, 2)
        slow = threading.Thread(
            target=httpx.post,
            args=(f"{router.v1}/chat/completions",),
            kwargs={"json": {**CHAT, "model": "slow", "user": planted}, "timeout": 60},
        )
        slow.start()
        while mock.count("slow-model") < 1:  # in flight upstream
            threading.Event().wait(0.02)
        router.proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while router.logs().count("asyncio tasks of pid") < 2 and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        slow.join()
        logs = router.logs()
        assert logs.count("asyncio tasks of pid") == 2, logs
        assert "in serve" in logs and "switchyard/router/proxy.py" in logs, logs
        assert planted not in logs and PROVIDER_KEY not in logs
        _spread(router, 2)  # every worker still serves
        assert router.proc.poll() is None


def test_a_cleanup_that_never_ends_exits_1_and_says_what_it_waits_for(tmp_path: Path) -> None:
    """Stopping is bounded: past the drain timeout plus the margin the process logs its tasks
    (the stuck cleanup's frame among them) and exits 1 instead of hanging to the SIGKILL."""
    port = free_port()
    env = {
        **os.environ, "SWITCHYARD_ROUTER_PORT": str(port), "SWITCHYARD_ROUTER_HOST": "127.0.0.1",
        "SWITCHYARD_ROUTER_CONFIG": str(tmp_path / "none.json"),
        "SWITCHYARD_ROUTER_SECRETS_DIR": str(tmp_path), "SWITCHYARD_ROUTER_USAGE_SINK": "none",
        "SWITCHYARD_ROUTER_DRAIN_TIMEOUT": "1",
    }  # fmt: skip
    log_file = tmp_path / "router.log"
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.router.stuck_cleanup"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", proc)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    logs = log_file.read_text()
    assert code == 1, logs
    assert "stopping took over 6 s (drain timeout + 5 s); exiting 1" in logs, logs
    assert "in stuck_cleanup" in logs, logs
