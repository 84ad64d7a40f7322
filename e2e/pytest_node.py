"""pytest fixtures for the end-to-end tier (marker ``node``): the operator installed by Helm on a
real node, smoke Jobs and router pods run by a real kubelet.

Two ways to get a cluster:

- default: this machine's own node. The session builds what is missing (after collection, like
  the `cluster` tier), brings up a control plane plus a real node in a temporary run dir,
  builds/imports the project image, and tears everything down at the end, checking that the
  host is as before. A machine-wide lock keeps two sessions from running two nodes at once.
- ``SWITCHYARD_E2E_KUBECONFIG`` (+ ``SWITCHYARD_E2E_IMAGE``, required then): any other cluster,
  for example kind with a `kind load`ed image. Nothing is started or torn down but the Helm
  release and the test namespaces; the router Service is reached through `kubectl port-forward`.

Either way the session installs the chart (`helm install`, namespaced RBAC for the tier's
namespaces), each test gets a namespace of its own, and the release is uninstalled at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from e2e import build, image, nodebuild, nodeconf, nodelock
from e2e.localcluster import REPO_ROOT, ClusterError, LocalCluster
from e2e.node import Node

CHART = REPO_ROOT / "helm" / "switchyard"
RELEASE = "switchyard"
RELEASE_NS = "switchyard-e2e"
T = TypeVar("T")

# Operator settings for the tier: short timers so a promotion or a rollback takes seconds.
OPERATOR_VALUES = {
    "operator.routerReplicas": "2",
    "operator.rolloutDeadlineSeconds": "40",
    "operator.reconcileIntervalSeconds": "3",
    "operator.smokePollSeconds": "2",
    "operator.jobTtlSeconds": "600",
}


def wait_for(probe: Callable[[], T | None], what: str, timeout: float, every: float = 1) -> T:
    """Poll until `probe` returns something truthy; fail naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@dataclass
class E2ECluster:
    """The cluster of this session: kubectl and helm bound to it, the image, how to reach it."""

    kubeconfig: Path
    image: str
    local: bool  # this machine's node: Service and pod IPs are reachable from the host
    namespaces: dict[str, str] = field(default_factory=dict)  # test name -> namespace
    timings: dict[str, float] = field(default_factory=dict)

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = [str(_binary("kubectl")), "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                              check=False)  # fmt: skip
        if check and proc.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)}: {proc.stderr.strip()}")
        return proc

    def get(self, ns: str | None, *what: str) -> Any:
        """`kubectl get ... -o json`, or None when it does not exist."""
        scope = ["-n", ns] if ns else []
        proc = self.kubectl("get", *what, *scope, "-o", "json", check=False)
        if proc.returncode != 0:
            if "NotFound" in proc.stderr:
                return None
            raise ClusterError(proc.stderr)
        return json.loads(proc.stdout)

    def apply(self, ns: str, manifest: str) -> None:
        self.kubectl("apply", "-n", ns, "-f", "-", input=manifest)

    def helm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(_binary("helm")), "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if check and proc.returncode != 0:
            raise ClusterError(f"helm {' '.join(args)}: {proc.stderr.strip()}")
        return proc

    def pod_get(self, ns: str, pod: str, port: int, path: str) -> str:
        """GET a pod's HTTP endpoint through the API server's pod proxy (works on any cluster)."""
        url = f"/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy{path}"
        return self.kubectl("get", "--raw", url, timeout=30).stdout

    @contextlib.contextmanager
    def service_url(self, ns: str, service: str, port: int) -> Iterator[str]:
        """A base URL for a Service from the host: its ClusterIP on our own node (kube-proxy
        routes it onto the bridge), a `kubectl port-forward` on any other cluster."""
        if self.local:
            svc = self.get(ns, "service", service)
            yield f"http://{svc['spec']['clusterIP']}:{port}"
            return
        cmd = [str(_binary("kubectl")), "--kubeconfig", str(self.kubeconfig), "-n", ns,
               "port-forward", f"service/{service}", f":{port}"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            match = re.search(r"127\.0\.0\.1:(\d+)", line)
            if not match:
                raise ClusterError(f"port-forward to {service}: {line}")
            yield f"http://127.0.0.1:{match.group(1)}"
        finally:
            proc.terminate()
            proc.wait(10)


def _binary(name: str) -> Path:
    return build.paths().binary(name)


def _wants_node(items: list[pytest.Item]) -> bool:
    return any(item.get_closest_marker("node") for item in items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the control plane, node binaries and image before any test (no timeout covers it)."""
    if not _wants_node(session.items):
        return
    try:
        build.ensure_built()
        if not os.environ.get("SWITCHYARD_E2E_KUBECONFIG"):
            nodebuild.ensure_node_built()
            image.app_image()
    except (build.BuildError, image.ImageError) as exc:
        raise pytest.UsageError(f"building for the node tier failed: {exc}") from exc


def _namespaces(session: pytest.Session) -> dict[str, str]:
    """One namespace per node test, named after it, known before the Helm install."""
    out: dict[str, str] = {}
    suffix = secrets.token_hex(2)
    for item in session.items:
        if item.get_closest_marker("node"):
            base = re.sub(r"[^a-z0-9]+", "-", item.name.lower().removeprefix("test_"))[:40]
            out[item.nodeid] = f"e2e-{base.strip('-')}-{suffix}"
    return out


@contextlib.contextmanager
def _local_node() -> Iterator[tuple[Path, str, LocalCluster, Node]]:
    with nodelock.machine_lock():  # one node per machine: a second session waits
        for line in nodelock.reclaim_abandoned():
            warnings.warn(f"reclaimed the node of a killed session: {line}", stacklevel=1)
        if Path(f"/sys/class/net/{nodeconf.BRIDGE}").exists():
            raise ClusterError(
                f"a node is already running here (bridge {nodeconf.BRIDGE}); stop it with "
                "`e2e/cluster down`, or point SWITCHYARD_E2E_KUBECONFIG at it"
            )
        run_dir = nodelock.new_run_dir()
        cluster = LocalCluster(run_dir=run_dir, node_ip=nodeconf.GATEWAY)
        node = Node(cluster)
        try:
            node.prepare_host()
            cluster.up(crds_dir=None)  # `helm install` brings the CRDs, as for a user
            node.up()
            img = image.app_image()
            node.import_image(img)
            yield cluster.kubeconfig, img.ref, cluster, node
        finally:
            _, problems = nodelock.take_down(node)
            node.forget_host()
            shutil.rmtree(run_dir, ignore_errors=True)
            if problems:
                raise AssertionError("the host is not as before the node:\n" + "\n".join(problems))


def helm_install(c: E2ECluster, release: str, release_ns: str, namespaces: list[str]) -> None:
    repo, tag = c.image.rsplit(":", 1)
    sets = {
        "image.repository": repo,
        "image.tag": tag,
        "image.pullPolicy": "IfNotPresent",
        "operator.namespaces": "{" + ",".join(namespaces) + "}",
        **OPERATOR_VALUES,
    }
    c.helm("install", release, str(CHART), "-n", release_ns, "--create-namespace",
           *(f"--set={k}={v}" for k, v in sets.items()), "--wait", "--timeout=5m")  # fmt: skip


@pytest.fixture(scope="session")
def e2e(request: pytest.FixtureRequest) -> Iterator[E2ECluster]:
    """The session's cluster with the operator installed by Helm and the tier's namespaces."""
    namespaces = _namespaces(request.session)
    configured = os.environ.get("SWITCHYARD_E2E_KUBECONFIG")
    with contextlib.ExitStack() as stack:
        started = time.monotonic()
        if configured:
            img = os.environ.get("SWITCHYARD_E2E_IMAGE")
            if not img:
                raise pytest.UsageError("SWITCHYARD_E2E_KUBECONFIG needs SWITCHYARD_E2E_IMAGE")
            c = E2ECluster(Path(configured), img, local=False, namespaces=namespaces)
        else:
            kubeconfig, ref, _cluster, _node = stack.enter_context(_local_node())
            c = E2ECluster(kubeconfig, ref, local=True, namespaces=namespaces)
        c.timings["cluster"] = time.monotonic() - started
        for ns in namespaces.values():
            c.kubectl("create", "namespace", ns)
        t = time.monotonic()
        helm_install(c, RELEASE, RELEASE_NS, list(namespaces.values()))
        c.timings["helm install"] = time.monotonic() - t
        try:
            yield c
        finally:
            c.helm("uninstall", RELEASE, "-n", RELEASE_NS, "--wait", check=False)
            for ns in [*namespaces.values(), RELEASE_NS]:
                c.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found",
                          check=False)  # fmt: skip
            print(
                "\nnode tier timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in c.timings.items())
            )


@pytest.fixture
def e2e_ns(e2e: E2ECluster, request: pytest.FixtureRequest) -> str:
    """The namespace of this test (created before the Helm install, watched by the operator)."""
    return e2e.namespaces[request.node.nodeid]
