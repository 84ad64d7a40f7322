"""The Helm chart: lints, renders per values, and carries the repo's CRDs and RBAC verbatim."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e import build

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "switchyard"

# The helm binary comes from the control-plane build (cached), hence the cluster marker.
pytestmark = pytest.mark.cluster


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    binary = build.paths().binary("helm")
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, check=check, timeout=120
    )


def template(*sets: str) -> list[dict[str, Any]]:
    args = [f"--set={s}" for s in sets]
    out = helm("template", "sy", str(CHART), "--namespace", "switchyard-system", *args).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_chart_crds_are_the_generated_ones() -> None:
    repo = sorted(p.name for p in (REPO / "crds").glob("*.yaml"))
    assert sorted(p.name for p in (CHART / "crds").glob("*.yaml")) == repo
    for name in repo:
        assert (CHART / "crds" / name).read_text() == (REPO / "crds" / name).read_text(), name


def test_helm_lint_passes() -> None:
    out = helm("lint", str(CHART))
    assert "0 chart(s) failed" in out.stdout


def test_rbac_rules_match_deploy_rbac_yaml() -> None:
    deploy = list(yaml.safe_load_all((REPO / "deploy" / "rbac.yaml").read_text()))
    want = next(
        d
        for d in deploy
        if d["metadata"]["name"] == "switchyard-operator" and d["kind"] == "ClusterRole"
    )
    (role,) = [d for d in template() if d["kind"] == "ClusterRole"]
    assert role["rules"] == want["rules"]


def test_namespaced_install_binds_each_namespace_only() -> None:
    docs = template("operator.namespaces={a,b}")
    kinds = [d["kind"] for d in docs]
    assert "ClusterRoleBinding" not in kinds
    bindings = [d for d in docs if d["kind"] == "RoleBinding"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["a", "b"]
    (dep,) = [d for d in docs if d["kind"] == "Deployment"]
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["args"] == ["--namespace=a", "--namespace=b"]
    assert dep["spec"]["replicas"] == 1
    assert dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert c["resources"]["limits"]["memory"] == "512Mi"


def test_all_namespaces_install_uses_cluster_bindings() -> None:
    docs = template("operator.allNamespaces=true")
    bindings = [d for d in docs if d["kind"] == "ClusterRoleBinding"]
    assert len(bindings) == 2
    (dep,) = [d for d in docs if d["kind"] == "Deployment"]
    assert dep["spec"]["template"]["spec"]["containers"][0]["args"] == ["--all-namespaces"]


def test_no_namespace_at_all_is_refused_with_a_clear_message() -> None:
    proc = helm("template", "sy", str(CHART), "--set", "operator.namespaces=null", check=False)
    assert proc.returncode != 0
    assert "set operator.namespaces or operator.allNamespaces" in proc.stderr
