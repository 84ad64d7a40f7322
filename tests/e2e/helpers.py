"""Shared steps of the node tier: waiting on conditions, router pods, real SDK traffic."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import openai

from e2e import nodemanifests as manifests
from e2e.pytest_node import E2ECluster, wait_for

ROUTER = "switchyard-router"
ROUTER_SELECTOR = f"app.kubernetes.io/name={ROUTER}"


def cond(obj: Any, type_: str) -> dict[str, Any] | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def start_upstream(e2e: E2ECluster, ns: str) -> None:
    e2e.apply(ns, manifests.upstream(ns, e2e.image))
    e2e.kubectl("-n", ns, "rollout", "status", f"deployment/{manifests.UPSTREAM}",
                "--timeout=180s", timeout=200)  # fmt: skip


def target(e2e: E2ECluster, ns: str, group: str, provider: str) -> dict[str, Any] | None:
    g = e2e.get(ns, "modelgroup", group)
    for t in ((g or {}).get("status") or {}).get("targets") or []:
        if t["provider"] == provider:
            return dict(t)
    return None


def router_pods(e2e: E2ECluster, ns: str) -> list[dict[str, Any]]:
    pods = e2e.get(ns, "pods", "-l", ROUTER_SELECTOR)["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def ready(pod: dict[str, Any]) -> bool:
    return (cond(pod, "Ready") or {}).get("status") == "True"


def revision(e2e: E2ECluster, ns: str, name: str = ROUTER) -> str | None:
    cm = e2e.get(ns, "configmap", name)
    return ((cm or {}).get("metadata", {}).get("annotations") or {}).get("switchyard.dev/revision")


def pod_revision(e2e: E2ECluster, ns: str, pod: str) -> str | None:
    """What the router pod itself says it serves (its /readyz), through the API server."""
    body = json.loads(e2e.pod_get(ns, pod, 8080, "/readyz"))
    value = body.get("revision")
    return str(value) if value else None


def wait_router_serving(e2e: E2ECluster, ns: str, replicas: int, timeout: float = 240) -> None:
    """Settled: the live revision is the last good one, and `replicas` Ready router pods all
    report it from their own /readyz."""

    def serving() -> bool:
        good = revision(e2e, ns, f"{ROUTER}-last-good")
        if not good or revision(e2e, ns) != good:
            return False
        pods = [p for p in router_pods(e2e, ns) if ready(p)]
        return len(pods) == replicas and all(
            pod_revision(e2e, ns, p["metadata"]["name"]) == good for p in pods
        )

    wait_for(serving, f"{replicas} router pods serving the live revision", timeout, 2)


def wait_active(e2e: E2ECluster, ns: str, group: str, provider: str) -> None:
    """The target carries weight (its evidence is in), and the router serves that revision."""
    wait_for(lambda: (t := target(e2e, ns, group, provider)) and t["stage"] == "Active",
             f"{group}/{provider} Active", 240)  # fmt: skip
    wait_router_serving(e2e, ns, replicas=2)


def rollout_log(e2e: E2ECluster, ns: str, lines: int = 20) -> str:
    """The operator's last rollout decisions for a namespace (for failure messages)."""
    out = e2e.kubectl("logs", "-n", "switchyard-e2e", "-l", "app.kubernetes.io/name="
                      "switchyard-operator", "--tail=2000", check=False).stdout  # fmt: skip
    mine = [line for line in out.splitlines() if f"router {ns}:" in line]
    return "\n".join(mine[-lines:])


class Traffic:
    """Real callers: the official openai SDK against the router Service, counting outcomes."""

    def __init__(self, base_url: str, model: str) -> None:
        self.client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="caller", max_retries=0,
                                    timeout=10)  # fmt: skip
        self.model = model
        self.ok = 0
        self.failed: list[str] = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                reply = self.client.chat.completions.create(
                    model=self.model, messages=[{"role": "user", "content": "Say OK"}],
                    max_tokens=16,
                )  # fmt: skip
                if reply.choices and reply.choices[0].message.content:
                    self.ok += 1
                else:
                    self.failed.append("empty reply")
            except openai.OpenAIError as exc:
                status = getattr(exc, "status_code", None)
                body = str(getattr(exc, "body", "") or "")[:160]
                self.failed.append(f"{time.strftime('%H:%M:%S')} {status} {body}")
            self.stop_flag.wait(0.1)

    def __str__(self) -> str:
        return f"{self.ok} ok, {len(self.failed)} failed (last: {self.failed[-5:]})"

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_flag.set()
        self.thread.join(15)
