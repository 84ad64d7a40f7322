"""`e2e/cluster demo`: the real loop in one command on a machine like this one.

Control plane + real node (`up --node`), the project image imported into it, the chart
installed by Helm, an example applied (the fake upstream as a Deployment, a key Secret, a
Provider and a ModelGroup), then one request answered by a router pod through its Service with
the official openai SDK. `e2e/cluster down` tears it all down.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

import openai

from e2e import build, image, nodemanifests
from e2e.localcluster import REPO_ROOT, ClusterError, LocalCluster
from e2e.node import Node

NAMESPACE = "llm"
RELEASE = "switchyard"
RELEASE_NS = "switchyard-system"
T = TypeVar("T")


def _wait(probe: Callable[[], T | None], what: str, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(1)
    raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}")


def run(cluster: LocalCluster, say: Callable[[str], None]) -> str:
    """Install, apply, ask; returns the router's answer."""
    started = time.monotonic()
    node = Node(cluster)
    img = image.app_image()
    node.import_image(img)
    say(f"2. image {img.ref} imported ({time.monotonic() - started:.0f}s)")
    kubectl = cluster.kubectl
    kubectl("create", "namespace", NAMESPACE, check=False)
    repo, tag = img.ref.rsplit(":", 1)
    helm = [str(build.paths().binary("helm")), "--kubeconfig", str(cluster.kubeconfig)]
    proc = subprocess.run(
        [*helm, "upgrade", "--install", RELEASE, str(REPO_ROOT / "helm" / "switchyard"),
         "-n", RELEASE_NS, "--create-namespace", f"--set=image.repository={repo}",
         f"--set=image.tag={tag}", f"--set=operator.namespaces={{{NAMESPACE}}}",
         "--set=operator.reconcileIntervalSeconds=5", "--set=operator.smokePollSeconds=2",
         "--wait", "--timeout=5m"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise ClusterError(f"helm install: {proc.stderr}")
    say(f"3. helm release {RELEASE} installed: operator pod Ready in {RELEASE_NS}")
    m = nodemanifests
    kubectl("apply", "-n", NAMESPACE, "-f", "-", input=m.upstream(NAMESPACE, img.ref))
    kubectl("apply", "-n", NAMESPACE, "-f", "-", input=m.dump(
        m.secret(NAMESPACE, "demo-key"),
        m.provider(NAMESPACE, "demo", "openai-chat", "demo-key"),
        m.group(NAMESPACE, "agent", [("demo", 1)]),
    ))  # fmt: skip
    say("4. applied: fake upstream Deployment+Service, Secret, Provider demo, ModelGroup agent")

    def smoke() -> str | None:
        out = kubectl("get", "smokerun", "demo-m-g1", "-n", NAMESPACE, "-o", "json", check=False)
        if out.returncode != 0:
            return None
        status = json.loads(out.stdout).get("status") or {}
        done = [c for c in status.get("conditions") or [] if c["type"] == "Complete"]
        if not done or done[0]["status"] != "True":
            return None
        return ", ".join(f"{r['task']}={r['result']}" for r in status.get("results") or [])

    say(f"5. smoke Job evidence: {_wait(smoke, 'the SmokeRun', 240)}")
    kubectl("rollout", "status", "deployment/switchyard-router", "-n", NAMESPACE,
            "--timeout=240s", timeout=260)  # fmt: skip
    svc = json.loads(kubectl("get", "service", "switchyard-router", "-n", NAMESPACE, "-o",
                             "json").stdout)  # fmt: skip
    url = f"http://{svc['spec']['clusterIP']}:8080/v1"
    client = openai.OpenAI(base_url=url, api_key="caller", max_retries=0, timeout=20)

    def ask() -> str | None:
        try:
            reply = client.chat.completions.create(
                model="agent", messages=[{"role": "user", "content": "Say OK"}], max_tokens=16
            )
        except openai.OpenAIError:
            return None  # the group routes once the target is Active in the live config
        return reply.choices[0].message.content

    answer = _wait(ask, "an answer through the router Service", 120)
    say(f"6. router Service {url} answered: {answer!r} ({time.monotonic() - started:.0f}s)")
    return answer
