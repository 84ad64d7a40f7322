"""Helpers for operator tests on the local control plane: the operator in a thread, stand-in
router pods (a real aiohttp server on 127.0.0.1), the kubelet's part played with status patches,
and the real probe against the real fake upstream."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import openai
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


# ---------------------------------------------------------------- cluster objects

ROUTER = "switchyard-router"


def settings(namespace: str, pods: RouterPods | int, **kw: Any) -> OperatorSettings:
    """Fast timers; router pods are reached at 127.0.0.1 on the port of `pods`."""
    base: dict[str, Any] = {
        "namespaces": [namespace],
        "image": "registry.example/switchyard:test",
        "router_replicas": 1,
        "rollout_deadline_seconds": 5,
        "router_url_template": "http://{pod_ip}:{port}",
        "router_port": pods if isinstance(pods, int) else pods.port,
        "http_timeout_seconds": 2,
        "reconcile_interval_seconds": 1,
        "smoke_poll_seconds": 1,
        "metrics_port": 0,
    }
    base.update(kw)
    return OperatorSettings(**base)


def secret(kubectl: Any, ns: str, name: str, **data: str) -> None:
    args = [f"--from-literal={k}={v}" for k, v in data.items()]
    kubectl("create", "secret", "generic", name, "-n", ns, *args)


def get(kubectl: Any, ns: str, *what: str) -> Any:
    proc = kubectl("get", *what, "-n", ns, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def cond(obj: Any, type_: str) -> dict[str, Any] | None:
    for c in (obj or {}).get("status", {}).get("conditions", []):
        if c["type"] == type_:
            return dict(c)
    return None


def pods_of(kubectl: Any, ns: str, selector: str) -> list[dict[str, Any]]:
    return list((get(kubectl, ns, "pods", "-l", selector) or {}).get("items", []))


def finish_job(kubectl: Any, ns: str, job: str, message: str) -> None:
    """Play the kubelet: the Job's pod ran and wrote `message` as its termination message."""
    pod = wait_for(lambda: pods_of(kubectl, ns, f"job-name={job}"), f"a pod of Job {job}")[0]
    kubectl(
        "patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status",
        "--type=merge", "-p", terminated_pod_status(message),
    )  # fmt: skip


def serve_router_pods(kubectl: Any, ns: str) -> list[str]:
    """Play the kubelet for router pods: running at 127.0.0.1 (where RouterPods listens)."""
    names = []
    for pod in pods_of(kubectl, ns, f"app.kubernetes.io/name={ROUTER}"):
        if not pod["status"].get("podIP"):
            kubectl(
                "patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status",
                "--type=merge", "-p", running_pod_status(),
            )  # fmt: skip
        names.append(pod["metadata"]["name"])
    return names


def live_revision(kubectl: Any, ns: str) -> str | None:
    cm = get(kubectl, ns, "configmap", ROUTER)
    return cm["metadata"]["annotations"]["switchyard.dev/revision"] if cm else None


def provider_manifest(ns: str, base_url: str) -> str:
    return yaml.safe_dump_all(
        [
            {
                "apiVersion": "switchyard.dev/v1alpha1",
                "kind": "Provider",
                "metadata": {"name": "up", "namespace": ns},
                "spec": {
                    "baseUrl": base_url,
                    "dialect": "openai-chat",
                    "auth": {"scheme": "bearer", "secretRef": {"name": "up", "key": "apiKey"}},
                    "models": [{"name": "m", "model": "fake-model"}],
                },
            },
            {
                "apiVersion": "switchyard.dev/v1alpha1",
                "kind": "ModelGroup",
                "metadata": {"name": "rollout", "namespace": ns},
                "spec": {
                    "strategy": "weighted",
                    "targets": [{"provider": "up", "model": "m", "weight": 40}],
                    "promotion": {
                        "steps": [50, 100],
                        "interval": "3s",
                        "gates": {"minRequests": 5},
                        "failureThreshold": 2,
                    },
                },
            },
        ]
    )


class RouterKubelet:
    """Plays the kubelet for router pods with a REAL router process: pods get 127.0.0.1, and the
    ConfigMap's config.json is synced into the file the router hot-reloads (as a volume is)."""

    def __init__(self, kubectl: Any, ns: str, port: int, workdir: Any) -> None:
        self.kubectl, self.ns, self.port = kubectl, ns, port
        self.config = workdir / "config.json"
        self.secrets = workdir / "secrets"
        self.proc: subprocess.Popen[bytes] | None = None
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sync(self) -> None:
        serve_router_pods(self.kubectl, self.ns)
        cm = get(self.kubectl, self.ns, "configmap", ROUTER)
        if not cm:
            return
        # as the kubelet projects a key: data as UTF-8 text, binaryData (a packed config) decoded
        text = (cm.get("data") or {}).get("config.json")
        raw = (
            text.encode() if text is not None else base64.b64decode(cm["binaryData"]["config.json"])
        )
        if not self.config.exists() or self.config.read_bytes() != raw:
            tmp = self.config.with_suffix(".tmp")
            tmp.write_bytes(raw)
            os.replace(tmp, self.config)
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "switchyard.cli", "router", "--config", str(self.config),
                 "--host", "127.0.0.1", "--port", str(self.port),
                 "--secrets-dir", str(self.secrets), "--usage-sink", "none"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

    def _run(self) -> None:
        while not self.stop_flag.wait(0.3):
            try:
                self._sync()
            except Exception:
                continue

    def __enter__(self) -> RouterKubelet:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_flag.set()
        self.thread.join(10)
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


class Callers:
    """Real traffic: the official openai SDK calling the group through the router."""

    def __init__(self, port: int) -> None:
        self.client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="caller", max_retries=0, timeout=10
        )
        self.ok = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                reply = self.client.chat.completions.create(
                    model="rollout", messages=[{"role": "user", "content": "Say OK"}], max_tokens=16
                )
                self.ok += bool(reply.choices)
            except openai.OpenAIError:
                pass  # before the target carries weight there is no eligible target
            self.stop_flag.wait(0.05)

    def __enter__(self) -> Callers:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_flag.set()
        self.thread.join(15)


def settled(kubectl: Any, ns: str, port: int) -> dict[str, Any] | None:
    """The last-good ConfigMap once live, last good, the router's /readyz and the group's
    status.routerRevision all name one revision."""
    live = live_revision(kubectl, ns)
    good = get(kubectl, ns, "configmap", f"{ROUTER}-last-good")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
        serving = json.loads(resp.read())["revision"]
    group = get(kubectl, ns, "modelgroup", "rollout") or {}
    reported = group.get("status", {}).get("routerRevision")
    good_rev = good["metadata"]["annotations"]["switchyard.dev/revision"] if good else None
    return good if live == good_rev == serving == reported and live else None
