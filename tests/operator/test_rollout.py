"""Router rollout decisions and the router objects."""

from __future__ import annotations

from datetime import timedelta

from switchyard.operator.rollout import Action, LiveState, PodReport, decide
from switchyard.operator.routerres import (
    REVISION_ANNOTATION,
    RouterSettings,
    affected_groups,
    deployment,
    needed_secrets,
    owner_references,
    pod_template,
)
from tests.catalog.factories import T0, group, provider

DEADLINE = timedelta(seconds=60)


def live(rev: str | None, good: str | None, failed: str | None = None) -> LiveState:
    return LiveState(revision=rev, applied_at=T0, failed_revision=failed, last_good_revision=good)


def test_first_revision_is_applied() -> None:
    assert decide("a", live(None, None), [], 1, T0, DEADLINE).action is Action.APPLY


def test_new_revision_is_applied_even_during_a_rollout() -> None:
    assert decide("c", live("b", "a"), [], 1, T0, DEADLINE).action is Action.APPLY


def test_ready_on_enough_pods_promotes() -> None:
    pods = [PodReport("x", "b", True), PodReport("y", "b", True)]
    assert decide("b", live("b", "a"), pods, 2, T0, DEADLINE).action is Action.PROMOTE


def test_stale_pods_wait_until_the_deadline_then_roll_back() -> None:
    pods = [PodReport("x", "a", True), PodReport("y", None, False)]
    assert decide("b", live("b", "a"), pods, 1, T0 + DEADLINE, DEADLINE).action is Action.WAIT
    step = decide("b", live("b", "a"), pods, 1, T0 + DEADLINE * 2, DEADLINE)
    assert step.action is Action.ROLLBACK
    assert "pods report a, unreachable" in step.message


def test_a_ready_pod_on_the_wrong_revision_does_not_count() -> None:
    pods = [PodReport("x", "a", True)]
    assert decide("b", live("b", "a"), pods, 1, T0, DEADLINE).action is Action.WAIT


def test_failed_revision_is_not_retried_but_a_new_one_is() -> None:
    state = live("a", "a", failed="b")
    assert decide("b", state, [], 1, T0, DEADLINE).action is Action.HOLD
    assert decide("c", state, [], 1, T0, DEADLINE).action is Action.APPLY


def test_serving_revision_is_steady() -> None:
    assert decide("a", live("a", "a"), [], 1, T0, DEADLINE).action is Action.STEADY


def test_router_pod_mounts_only_needed_secrets_read_only() -> None:
    providers = [provider("p"), provider("q")]
    groups = [group("g", restricted=True)]
    secrets = needed_secrets(providers, groups)
    assert secrets == ["callers", "p-key", "q-key"]
    tpl = pod_template("rev1", secrets, RouterSettings(image="img"))
    (c,) = tpl["spec"]["containers"]
    assert tpl["metadata"]["annotations"][REVISION_ANNOTATION] == "rev1"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for s in secrets:
        assert mounts[f"/etc/switchyard/secrets/{s}"]["readOnly"] is True
    assert tpl["spec"]["securityContext"]["runAsNonRoot"] is True
    assert tpl["spec"]["automountServiceAccountToken"] is False
    assert c["resources"]["limits"]["memory"] == "512Mi"
    assert deployment("t", tpl, 2)["spec"]["template"] is tpl


def test_every_group_owns_the_router_objects() -> None:
    a, b = group("a"), group("b")
    a.metadata.uid, b.metadata.uid = "u1", "u2"
    refs = owner_references([b, a])
    assert [(r["name"], r["uid"], r["controller"]) for r in refs] == [
        ("a", "u1", False),
        ("b", "u2", False),
    ]


def test_affected_groups_are_those_whose_entry_changed() -> None:
    good = '{"groups": [{"name": "a", "x": 1}, {"name": "b", "x": 1}]}'
    bad = '{"groups": [{"name": "a", "x": 2}, {"name": "b", "x": 1}, {"name": "c"}]}'
    assert affected_groups(bad, good) == ["a", "c"]
    assert affected_groups(bad, None) == ["a", "b", "c"]


def test_failed_first_revision_without_last_good_is_held_not_rolled_back_again() -> None:
    state = live("a", None, failed="a")
    later = T0 + DEADLINE * 10
    assert decide("a", state, [], 1, later, DEADLINE).action is Action.HOLD
    # ... and if its pods do become ready after all, it is promoted
    ready = [PodReport("x", "a", True)]
    assert decide("a", state, ready, 1, later, DEADLINE).action is Action.PROMOTE
