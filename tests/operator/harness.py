"""Helpers for operator tests on the local control plane: the operator in a thread, stand-in
router pods (a real aiohttp server on 127.0.0.1), the kubelet's part played with status patches,
and the real probe against the real fake upstream."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from switchyard.operator.cli import operate
from switchyard.operator.settings import OperatorSettings

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(fn: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll until `fn` returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = fn()
        except Exception as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class OperatorThread:
    """`switchyard operator` in-process (its own event loop in a thread), stoppable."""

    def __init__(self, settings: OperatorSettings) -> None:
        self.settings = settings
        self.stop_flag = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="operator", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(operate(self.settings, stop_flag=self.stop_flag))  # type: ignore[arg-type]
        except BaseException as exc:
            self.error = exc

    def start(self) -> OperatorThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "operator did not stop"
        if self.error is not None:
            raise AssertionError(f"operator crashed: {self.error!r}") from self.error


class RouterPods:
    """What router pods would answer: /readyz with a revision, /metrics per the contract.

    `revision` is what /readyz reports; set it to follow the ConfigMap (the kubelet syncing the
    volume, the router reloading) or leave it stale to play a router that never loads a config.
    Each /metrics scrape adds `traffic_per_scrape` fast, successful requests with usage, for
    every target in `targets`.
    """

    def __init__(self) -> None:
        self.revision: str | None = None
        self.ready = True
        self.targets: list[tuple[str, str, str]] = []
        self.traffic_per_scrape = 0
        self.outcome = "ok"  # or "error": every request of the next scrapes failed
        self.registry = CollectorRegistry()
        labels = ["group", "provider", "model"]
        self.requests = Counter(
            "switchyard_requests",
            "r",
            [*labels, "inbound", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "switchyard_request_duration_seconds", "d", labels, registry=self.registry
        )
        self.usage_missing = Counter(
            "switchyard_usage_missing", "u", labels, registry=self.registry
        )
        self.fallbacks = Counter("switchyard_fallbacks", "f", labels, registry=self.registry)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _readyz(self, _: web.Request) -> web.Response:
        ok = self.ready and self.revision is not None
        body = {"status": "ready" if ok else "not-ready", "revision": self.revision}
        return web.json_response(body, status=200 if ok else 503)

    async def _metrics(self, _: web.Request) -> web.Response:
        for group, provider, model in self.targets:
            self.requests.labels(group, provider, model, "openai-chat", self.outcome).inc(
                self.traffic_per_scrape
            )
            for _i in range(self.traffic_per_scrape):
                self.duration.labels(group, provider, model).observe(0.05)
            self.usage_missing.labels(group, provider, model).inc(0)
            self.fallbacks.labels(group, provider, model).inc(0)
        return web.Response(body=generate_latest(self.registry), content_type="text/plain")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def start(self) -> RouterPods:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def mock_upstream() -> Iterator[str]:
    """The real fake upstream process; yields its /v1 base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "switchyard.cli", "mock-upstream", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _listening(port), "the fake upstream to listen", 30)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def probe_compact(base_url: str, model: str, tasks: list[str], dialect: str = "openai-chat") -> str:
    """Really run `switchyard probe --output compact` (what the Job's container would print)."""
    env = {**os.environ, "PROBE_KEY": "sk-test-not-a-real-key"}
    proc = subprocess.run(
        [
            sys.executable, "-m", "switchyard.cli", "probe",
            "--base-url", base_url, "--model", model, "--dialect", dialect,
            "--api-key-env", "PROBE_KEY", "--tasks", ",".join(tasks), "--output", "compact",
        ],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    return proc.stdout.strip()


def examples(path: str, namespace: str, **replace: Any) -> str:
    """An example file as YAML for `kubectl apply`: namespace rewritten, status dropped."""
    docs = [d for d in yaml.safe_load_all((REPO / "examples" / path).read_text()) if d]
    for d in docs:
        d["metadata"]["namespace"] = namespace
        d.pop("status", None)
        for key, value in replace.get(d["metadata"]["name"], {}).items():
            d["spec"][key] = value
    return yaml.safe_dump_all(docs)


def terminated_pod_status(message: str, exit_code: int = 0) -> str:
    """The status patch a kubelet would write for a probe container that finished."""
    terminated = {
        "exitCode": exit_code,
        "reason": "Completed" if exit_code == 0 else "Error",
        "message": message,
        "startedAt": "2026-11-20T10:00:00Z",
        "finishedAt": "2026-11-20T10:00:05Z",
    }
    status = {
        "phase": "Succeeded" if exit_code == 0 else "Failed",
        "containerStatuses": [
            {
                "name": "probe",
                "ready": False,
                "restartCount": 0,
                "image": "switchyard",
                "imageID": "switchyard@sha256:" + "0" * 64,
                "state": {"terminated": terminated},
            }
        ],
    }
    return json.dumps({"status": status})


def running_pod_status(ip: str = "127.0.0.1") -> str:
    return json.dumps({"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})


def operator_kubeconfig(kubectl: Any, admin_kubeconfig: Path, namespace: str, out: Path) -> Path:
    """A kubeconfig whose only rights are deploy/rbac.yaml's ClusterRole, bound in `namespace`
    through a RoleBinding, with a token from the TokenRequest API."""
    docs = [d for d in yaml.safe_load_all((REPO / "deploy" / "rbac.yaml").read_text()) if d]
    role = next(
        d for d in docs
        if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "switchyard-operator"
    )  # fmt: skip
    kubectl("apply", "-f", "-", input=yaml.safe_dump(role))
    kubectl("create", "serviceaccount", "switchyard-operator", "-n", namespace)
    kubectl(
        "create", "rolebinding", "switchyard-operator", "-n", namespace,
        "--clusterrole=switchyard-operator", f"--serviceaccount={namespace}:switchyard-operator",
    )  # fmt: skip
    token = kubectl(
        "create", "token", "switchyard-operator", "-n", namespace, "--duration=2h"
    ).stdout.strip()
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [
            {
                "name": "operator",
                "context": {"cluster": cluster["name"], "user": "operator", "namespace": namespace},
            }
        ],
        "current-context": "operator",
    }
    out.write_text(yaml.safe_dump(config))
    out.chmod(0o600)
    return out
