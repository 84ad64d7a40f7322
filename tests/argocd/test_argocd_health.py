"""Argo CD's own code (pinned release, tests/argocd/health/go.mod) on the stored objects.

The objects under tests/argocd/objects were captured from the real operator by
test_argocd_cluster.py; this runs without a cluster. It also shows the check is real: Argo CD's
sandbox refuses what Argo CD refuses, and its diff notices a real spec change.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from .assets import CM, KINDS, key, render_cm, script
from .fixtures import cases
from .gohealth import evaluate

CASES = cases()


def test_argocd_cm_snippet_carries_exactly_the_lua_files() -> None:
    assert CM.read_text() == render_cm(), "run `python3 -m tests.argocd.assets`"
    data = yaml.safe_load(CM.read_text())["data"]
    assert sorted(data) == sorted(key(k) for k in KINDS)
    assert all(data[key(k)] == script(k) for k in KINDS)


def test_every_kind_and_every_health_status_is_covered() -> None:
    kinds = {obj["kind"] for _, obj, _ in CASES}
    assert kinds == set(KINDS)
    statuses = {want["status"] for _, _, want in CASES}
    assert statuses == {"Healthy", "Progressing", "Degraded", "Suspended"}


def test_argocd_lua_agrees_with_every_captured_case() -> None:
    results = evaluate(health=[(path, obj) for path, obj, _ in CASES])
    wrong = {
        path: results[path]
        for path, _, want in CASES
        if (results[path].get("status"), results[path].get("message"))
        != (want["status"], want["message"])
    }
    assert not wrong, f"Argo CD's Lua disagrees: {json.dumps(wrong, indent=1)}"


def _case(name: str) -> dict[str, Any]:
    return copy.deepcopy(next(obj for path, obj, _ in CASES if path.endswith(f"/{name}.yaml")))


def _edge_cases() -> list[tuple[str, dict[str, Any], str, str]]:
    """Captured objects in states between reconciles, made by editing them as the API would."""
    fresh = _case("modelgroup-active")
    del fresh["status"]
    behind = _case("modelgroup-active")
    behind["metadata"]["generation"] = 2  # spec edited in Git, not yet reconciled
    provider_behind = _case("provider-verified")
    provider_behind["metadata"]["generation"] = 3
    new_run = _case("smokerun-running")
    del new_run["status"]
    invalid_run = _case("smokerun-running")
    invalid_run["status"] = {
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "InvalidSpec", "message": "spec.tasks"}
        ]
    }
    unknown = _case("provider-verified")
    for c in unknown["status"]["conditions"]:
        if c["type"] == "Ready":
            c.update(status="Unknown", reason="Checking", message="")
    return [
        ("fresh", fresh, "Progressing", "waiting for the operator"),
        ("behind", behind, "Progressing", "waiting for the operator to observe generation 2"),
        ("provider-behind", provider_behind, "Progressing",
         "waiting for the operator to observe generation 3"),
        ("new-run", new_run, "Progressing", "waiting to start"),
        ("invalid-run", invalid_run, "Degraded", "InvalidSpec: spec.tasks"),
        ("unknown", unknown, "Progressing", "Checking"),
    ]  # fmt: skip


def test_argocd_lua_between_reconciles() -> None:
    edges = _edge_cases()
    results = evaluate(health=[(n, o) for n, o, _, _ in edges])
    for name, _, status, message in edges:
        assert (results[name]["status"], results[name]["message"]) == (status, message), name


def test_the_sandbox_is_argo_cds_own() -> None:
    """argocd-cm scripts run without Lua's string library in Argo CD; so they do here."""
    cm = yaml.safe_load(CM.read_text())
    for k in KINDS:
        cm["data"][key(k)] = 'return {status = string.format("%s", "Healthy")}'
    results = evaluate(health=[("p", _case("provider-verified"))], argocd_cm=yaml.safe_dump(cm))
    assert "string" in results["p"].get("error", ""), results["p"]


def test_a_kind_without_a_script_gets_no_health_from_us() -> None:
    cm = yaml.safe_load(CM.read_text())
    del cm["data"][key("Provider")]
    results = evaluate(health=[("p", _case("provider-verified"))], argocd_cm=yaml.safe_dump(cm))
    assert results["p"].get("error") == "no health check matched"


def _applied(obj: dict[str, Any]) -> dict[str, Any]:
    """What Git held: the manifest kubectl recorded when applying it."""
    annotation = obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    applied: dict[str, Any] = json.loads(annotation)
    return applied


FROM_GIT = [
    p
    for p, obj, _ in CASES
    if "kubectl.kubernetes.io/last-applied-configuration"
    in (obj["metadata"].get("annotations") or {})
]  # the operator's own SmokeRuns are not in Git, so Argo CD never diffs them


def test_objects_from_git_of_every_kind_are_diffed() -> None:
    assert {p.split("/")[0] for p in FROM_GIT} == {k.lower() for k in KINDS}


@pytest.mark.parametrize("path", FROM_GIT)
def test_argocd_diff_sees_no_drift_in_operator_written_objects(path: str) -> None:
    live = next(obj for p, obj, _ in CASES if p == path)
    results = evaluate(diff=[("d", _applied(live), live)])
    assert results["d"]["modified"] is False, results["d"]
    assert live["spec"] == _applied(live)["spec"]  # nothing was defaulted into spec


def test_argocd_diff_notices_a_spec_change() -> None:
    live = _case("modelgroup-active")
    desired = _applied(live)
    desired["spec"]["targets"][0]["weight"] = 41
    assert evaluate(diff=[("d", desired, live)])["d"]["modified"] is True


def test_examples_parse_and_their_sync_waves_follow_dependencies() -> None:
    from switchyard.catalog import ModelGroup, Provider, SmokeRun

    from .assets import ARGOCD

    models = {"Provider": Provider, "ModelGroup": ModelGroup, "SmokeRun": SmokeRun}
    docs = [d for d in yaml.safe_load_all((ARGOCD / "catalog-example.yaml").read_text()) if d]
    wave = {}
    for d in docs:
        if d["kind"] in models:
            models[d["kind"]].model_validate(d)
        wave[d["kind"]] = int(d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
    assert wave["Secret"] < wave["Provider"] < wave["ModelGroup"] < wave["SmokeRun"]
    apps = [d for d in yaml.safe_load_all((ARGOCD / "application.yaml").read_text()) if d]
    waves = {a["metadata"]["name"]: a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
             for a in apps}  # fmt: skip
    assert int(waves["switchyard-operator"]) < int(waves["switchyard-catalog"])
