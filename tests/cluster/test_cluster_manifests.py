"""The generated CRDs, as served by a real API server, accept the examples and reject bad input.

Why a real server: OpenAPI schema checks, list-map uniqueness and CEL rules run in
kube-apiserver; only it can say whether a manifest would really be admitted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.pytest_cluster import Kubectl

from .manifests import ROOT, expectations, in_namespace, load_documents

pytestmark = pytest.mark.cluster

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((ROOT / "examples").glob("**/*.yaml"))
INVALID = sorted((HERE / "invalid").glob("*.yaml"))
VALID = sorted((HERE / "valid").glob("*.yaml"))
CRD_NAMES = ("providers.switchyard.dev", "modelgroups.switchyard.dev", "smokeruns.switchyard.dev")


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_crds_are_established(kubectl: Kubectl) -> None:
    for name in CRD_NAMES:
        crd = kubectl.json(f"crd/{name}")
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions.get("Established") == "True", (name, conditions)
        assert conditions.get("NamesAccepted") == "True", (name, conditions)
    listed = kubectl("get", "switchyard", "--all-namespaces").returncode
    assert listed == 0  # the shared `switchyard` category resolves


def test_examples_exist() -> None:
    assert EXAMPLES, f"no manifests under {ROOT / 'examples'}"
    kinds = {doc.get("kind") for path in EXAMPLES for doc in load_documents(path)}
    assert {"Provider", "ModelGroup", "SmokeRun"} <= kinds, kinds


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_accepted_by_server_dry_run(kubectl: Kubectl, namespace: str, path: Path) -> None:
    proc = kubectl(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-",
        input=in_namespace(path, namespace), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    created = [line for line in proc.stdout.splitlines() if "(server dry run)" in line]
    assert len(created) == len(load_documents(path)), proc.stdout


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_documented_defaults_may_be_omitted(kubectl: Kubectl, namespace: str, path: Path) -> None:
    """Fields documented with a default are optional: CEL rules must not trip over their absence."""
    proc = kubectl("create", "-n", namespace, "-f", "-", input=in_namespace(path, namespace),
                   check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_manifest_rejected_naming_the_field(
    kubectl: Kubectl, namespace: str, path: Path
) -> None:
    expected = expectations(path)
    assert expected, f"{path} has no '# expect:' lines"
    proc = kubectl("create", "-n", namespace, "-f", "-", input=in_namespace(path, namespace),
                   check=False)  # fmt: skip
    assert proc.returncode != 0, f"accepted: {proc.stdout}"
    for text in expected:
        assert text in proc.stderr, f"{text!r} not in: {proc.stderr}"
    (doc,) = load_documents(path)
    leftover = kubectl("get", "-n", namespace, doc["kind"].lower(), doc["metadata"]["name"],
                       check=False)  # fmt: skip
    assert leftover.returncode != 0, "a rejected object must not exist"


def test_smokerun_spec_is_immutable(kubectl: Kubectl, namespace: str) -> None:
    """A transition rule (self == oldSelf) only fires on update, so create first, then patch."""
    manifest = """
apiVersion: switchyard.dev/v1alpha1
kind: SmokeRun
metadata: {name: immutable}
spec:
  target: {provider: p1, model: m1}
  layer: direct
  tasks: [text]
"""
    kubectl("create", "-n", namespace, "-f", "-", input=manifest)
    proc = kubectl(
        "patch", "-n", namespace, "smokerun", "immutable", "--type=merge",
        "-p", '{"spec": {"tasks": ["text", "streaming"]}}', check=False,
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout
    assert "SmokeRun spec is immutable" in proc.stderr, proc.stderr
    assert "spec" in proc.stderr
