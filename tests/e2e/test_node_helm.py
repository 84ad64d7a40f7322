"""The chart for real: the operator pod Ready through its probes under its own ServiceAccount,
and `helm uninstall` removing everything the release created except the CRDs."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import yaml

from e2e.pytest_node import CHART, RELEASE_NS, E2ECluster, wait_for

from .helpers import cond

pytestmark = pytest.mark.node
OPERATOR_SELECTOR = "app.kubernetes.io/name=switchyard-operator"
CRDS = ("providers.switchyard.dev", "modelgroups.switchyard.dev", "smokeruns.switchyard.dev")


def test_operator_pod_runs_with_its_account_probes_and_non_root_uid(e2e: E2ECluster) -> None:
    pods = e2e.get(RELEASE_NS, "pods", "-l", OPERATOR_SELECTOR)["items"]
    pod = wait_for(
        lambda: next((p for p in e2e.get(RELEASE_NS, "pods", "-l", OPERATOR_SELECTOR)["items"]
                      if (cond(p, "Ready") or {}).get("status") == "True"), None),
        "a Ready operator pod", 120,
    )  # fmt: skip
    assert pods
    spec = pod["spec"]
    container = spec["containers"][0]
    assert spec["serviceAccountName"] == "switchyard-operator"
    assert spec["securityContext"]["runAsUser"] == 65532
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    health = json.loads(e2e.pod_get(RELEASE_NS, pod["metadata"]["name"], 8081, "/healthz"))
    assert health == {"switchyard": "ok"}
    # Least privilege: the account may read Secrets in a watched namespace, nowhere else.
    sa = f"system:serviceaccount:{RELEASE_NS}:switchyard-operator"
    watched = next(iter(e2e.namespaces.values()))
    can = e2e.kubectl("auth", "can-i", "get", "secrets", "-n", watched, "--as", sa, check=False)
    assert can.stdout.strip() == "yes"
    cannot = e2e.kubectl("auth", "can-i", "get", "secrets", "-n", "kube-system", "--as", sa,
                         check=False)  # fmt: skip
    assert cannot.stdout.strip() == "no"
    assert e2e.kubectl("auth", "can-i", "delete", "pods", "-n", watched, "--as", sa,
                       check=False).stdout.strip() == "no"  # fmt: skip


def _objects(manifest: str) -> list[tuple[str, str | None, str]]:
    docs: list[dict[str, Any]] = [d for d in yaml.safe_load_all(manifest) if d]
    return [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs]


def test_helm_uninstall_removes_what_the_release_created_and_keeps_the_crds(
    e2e: E2ECluster, e2e_ns: str
) -> None:
    release = f"sy-{secrets.token_hex(3)}"
    ns = f"{release}-system"
    repo, tag = e2e.image.rsplit(":", 1)
    e2e.helm("install", release, str(CHART), "-n", ns, "--create-namespace",
             f"--set=image.repository={repo}", f"--set=image.tag={tag}",
             f"--set=operator.namespaces={{{e2e_ns}}}", "--wait", "--timeout=5m")  # fmt: skip
    try:
        objects = _objects(e2e.helm("get", "manifest", release, "-n", ns).stdout)
        kinds = sorted({k for k, _, _ in objects})
        assert kinds == ["ClusterRole", "Deployment", "RoleBinding", "ServiceAccount"], kinds
        for kind, obj_ns, name in objects:
            assert e2e.get(obj_ns, kind.lower(), name) is not None, (kind, name)
        e2e.helm("uninstall", release, "-n", ns, "--wait")

        def gone() -> bool:
            left = [o for o in objects if e2e.get(o[1], o[0].lower(), o[2]) is not None]
            pods = e2e.get(ns, "pods", "-l", f"app.kubernetes.io/instance={release}")["items"]
            return not left and not pods

        wait_for(gone, "every object of the release and its pods to be gone", 120)
        for crd in CRDS:  # Helm never deletes CRDs: the custom resources outlive a release
            assert e2e.get(None, "crd", crd) is not None
    finally:
        e2e.helm("uninstall", release, "-n", ns, check=False)
        e2e.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)
