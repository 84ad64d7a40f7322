"""The controller-manager and scheduler really run: workloads get children, pods get bound.

There is no kubelet, so nothing runs a container. To let the scheduler do its real work, the
test registers a Node object that stands in for a kubelet-less node (capacity and a Ready
condition, as a kubelet would report) and lifts the admission-time not-ready taint, as the
node-lifecycle controller would; the cluster runs without that controller, which would
otherwise taint a node that never heartbeats. Pods therefore stay Pending with
``spec.nodeName`` set: bound by kube-scheduler, never started.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from e2e.pytest_cluster import Kubectl

pytestmark = pytest.mark.cluster

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll until ``probe`` returns something truthy; controllers are asynchronous."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def items(kubectl: Kubectl, namespace: str, kind: str, selector: str = "") -> list[Any]:
    args = [kind, "-n", namespace] + (["-l", selector] if selector else [])
    return list(kubectl.json(*args)["items"])


def owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    refs = obj["metadata"].get("ownerReferences", [])
    return any(r["uid"] == owner["metadata"]["uid"] and r.get("controller") for r in refs)


@pytest.fixture(scope="module")
def fake_node(kubectl: Kubectl) -> Iterator[str]:
    """A schedulable Node object with room for pods; nothing behind it runs them."""
    name = f"fake-node-{secrets.token_hex(3)}"
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
    }
    kubectl("create", "-f", "-", input=json.dumps(node))
    status = {
        "status": {
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "FakeNode",
                    "message": "stands in for a kubelet in tests",
                }
            ],
        }
    }
    kubectl("patch", "node", name, "--subresource=status", "--type=merge",
            "-p", json.dumps(status))  # fmt: skip
    # The TaintNodesByCondition admission plugin marks every new Node not-ready; the (disabled)
    # node-lifecycle controller would lift that once the node reports Ready. Do its part.
    kubectl("taint", "node", name, "node.kubernetes.io/not-ready:NoSchedule-")
    try:
        yield name
    finally:
        kubectl("delete", "node", name, "--ignore-not-found", "--wait=false")


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: registry.invalid/web:1, resources: {requests: {cpu: 10m}}}
"""

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: once, image: registry.invalid/once:1}
"""


def test_deployment_gets_replicaset_and_scheduled_pods(
    kubectl: Kubectl, namespace: str, fake_node: str
) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    deployment = kubectl.json("-n", namespace, "deployment/web")
    replicasets = eventually(
        lambda: [rs for rs in items(kubectl, namespace, "replicasets") if owned_by(rs, deployment)],
        "the deployment controller to create a ReplicaSet",
    )
    assert len(replicasets) == 1
    replicaset = replicasets[0]
    assert replicaset["spec"]["replicas"] == 2

    def pods_of_replicaset() -> list[Any] | None:
        pods = [p for p in items(kubectl, namespace, "pods") if owned_by(p, replicaset)]
        return pods if len(pods) == 2 else None

    eventually(pods_of_replicaset, "the replicaset controller to create 2 pods")

    def all_bound() -> list[Any] | None:
        pods = items(kubectl, namespace, "pods", "app=web")
        return pods if len(pods) == 2 and all(p["spec"].get("nodeName") for p in pods) else None

    bound = eventually(all_bound, "kube-scheduler to bind both pods")
    assert {p["spec"]["nodeName"] for p in bound} == {fake_node}
    for pod in bound:
        scheduled = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
        assert scheduled and scheduled[0]["status"] == "True", pod["status"]
        assert pod["status"]["phase"] == "Pending"  # honest: no kubelet runs it


def test_job_gets_a_pod(kubectl: Kubectl, namespace: str, fake_node: str) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", input=JOB)
    job = kubectl.json("-n", namespace, "job/once")
    pods = eventually(
        lambda: [p for p in items(kubectl, namespace, "pods") if owned_by(p, job)],
        "the job controller to create a pod",
    )
    assert len(pods) == 1
    assert pods[0]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "once"
    pod_name = pods[0]["metadata"]["name"]

    def node_of_pod() -> str | None:
        return kubectl.json("-n", namespace, f"pod/{pod_name}")["spec"].get("nodeName")

    assert eventually(node_of_pod, "kube-scheduler to bind the job's pod") == fake_node


def test_deleting_an_owner_garbage_collects_its_children(kubectl: Kubectl, namespace: str) -> None:
    # Unschedulable on purpose: a pod bound to a node is deleted gracefully and waits for that
    # node's kubelet to confirm, which never comes here. Unbound pods go at once, so the whole
    # cascade Deployment -> ReplicaSet -> Pods is observable.
    unbound = DEPLOYMENT.replace(
        "    spec:\n      containers:",
        "    spec:\n      nodeSelector: {switchyard.dev/no-such-node: 'true'}\n      containers:",
    )
    assert unbound != DEPLOYMENT
    kubectl("apply", "-n", namespace, "-f", "-", input=unbound)
    eventually(lambda: len(items(kubectl, namespace, "pods", "app=web")) == 2, "2 pods")
    assert items(kubectl, namespace, "replicasets")

    # Background deletion: the API server removes the Deployment at once and the garbage
    # collector (in kube-controller-manager) must find and delete the orphaned dependents.
    kubectl("delete", "-n", namespace, "deployment/web", "--cascade=background", "--wait=false")
    eventually(
        lambda: not (items(kubectl, namespace, "replicasets") or items(kubectl, namespace, "pods")),
        "the garbage collector to delete the ReplicaSet and its pods",
        timeout=90,
    )

    # Owner references on a ConfigMap: a custom owner graph the GC must follow too.
    kubectl("create", "-n", namespace, "configmap", "owner")
    owner = kubectl.json("-n", namespace, "configmap/owner")
    child = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "child",
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": "owner",
                    "uid": owner["metadata"]["uid"],
                }
            ],
        },
    }
    kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(child))
    kubectl("delete", "-n", namespace, "configmap/owner", "--wait=false")
    eventually(
        lambda: kubectl("get", "-n", namespace, "configmap/child", check=False).returncode != 0,
        "the garbage collector to delete the owned ConfigMap",
        timeout=90,
    )
