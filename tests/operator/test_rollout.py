"""Router rollout decisions and the router objects."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from switchyard.operator import routerres
from switchyard.operator.context import Context
from switchyard.operator.handlers import router as handler
from switchyard.operator.metrics import OperatorMetrics
from switchyard.operator.rollout import Action, LiveState, PodReport, decide
from switchyard.operator.routerres import (
    CONFIG_KEY,
    LAST_GOOD,
    NAME,
    REVISION_ANNOTATION,
    TEMPLATE_HASH_ANNOTATION,
    TEMPLATE_KEY,
    RouterSettings,
    affected_groups,
    config_json_of,
    deployment,
    needed_secrets,
    owner_references,
    pod_template,
    same_template,
    template_hash,
)
from switchyard.operator.settings import OperatorSettings
from tests.catalog.factories import T0, group, provider

DEADLINE = timedelta(seconds=60)


def live(rev: str | None, good: str | None, failed: str | None = None) -> LiveState:
    return LiveState(revision=rev, applied_at=T0, failed_revision=failed, last_good_revision=good)


def test_first_revision_is_applied() -> None:
    assert decide("a", live(None, None), [], 1, T0, DEADLINE).action is Action.APPLY


def test_new_revision_is_applied_even_during_a_rollout() -> None:
    assert decide("c", live("b", "a"), [], 1, T0, DEADLINE).action is Action.APPLY


def test_a_revision_serving_everywhere_is_kept_as_last_good_when_replaced() -> None:
    """b is ready on every pod but not yet recorded (the reconcile that would promote it saw c
    first): applying c records b, so a failure of c restores b rather than a."""
    pods = [PodReport("x", "b", True), PodReport("y", "b", True)]
    step = decide("c", live("b", "a"), pods, 2, T0, DEADLINE)
    assert step.action is Action.APPLY and step.promote_live
    # not everywhere yet, or already recorded, or the one that failed: nothing to record
    half = [PodReport("x", "b", True), PodReport("y", "a", True)]
    assert not decide("c", live("b", "a"), half, 2, T0, DEADLINE).promote_live
    assert not decide("c", live("b", "b"), pods, 2, T0, DEADLINE).promote_live
    assert not decide("c", live("b", "a", failed="b"), pods, 2, T0, DEADLINE).promote_live


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
    tpl = pod_template(secrets, RouterSettings(image="img"))
    (c,) = tpl["spec"]["containers"]
    assert REVISION_ANNOTATION not in tpl["metadata"]["annotations"]
    assert tpl["metadata"]["annotations"][TEMPLATE_HASH_ANNOTATION] == template_hash(tpl)
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


def test_template_hash_follows_what_the_pods_mount_and_run_only() -> None:
    base = RouterSettings(image="img")
    tpl = pod_template(["a-key"], base)
    assert pod_template(["a-key"], RouterSettings(image="img")) == tpl  # deterministic
    changed = [
        pod_template(["a-key", "b-key"], base),  # the Secrets list
        pod_template([], base),
        pod_template(["a-key"], replace(base, image="img2")),
        pod_template(["a-key"], replace(base, memory_limit="1Gi")),
    ]
    assert template_hash(pod_template(["a-key"], replace(base, replicas=3))) == template_hash(tpl)
    hashes = {template_hash(t) for t in changed}
    assert template_hash(tpl) not in hashes and len(hashes) == len(changed)
    # the API server's defaults do not make a stored template "different"
    stored = copy.deepcopy(tpl)
    stored["spec"]["dnsPolicy"] = "ClusterFirst"
    assert same_template(stored, tpl)
    assert not same_template(changed[0], tpl)
    # a template from before the hash (it carried the revision) differs from any new one
    old = {"metadata": {"annotations": {REVISION_ANNOTATION: "r"}}, "spec": tpl["spec"]}
    assert not same_template(old, tpl)


class FakeKube:
    """The router objects of one namespace, in memory; writes are recorded."""

    def __init__(self) -> None:
        self.config_maps: dict[str, dict[str, Any]] = {}
        self.deployment: dict[str, Any] | None = None
        self.deployment_writes = 0

    async def get_config_map(self, ns: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.config_maps.get(name))

    async def config_map_metadata(self, ns: str, name: str) -> dict[str, Any] | None:
        found = self.config_maps.get(name)
        return {"metadata": copy.deepcopy(found["metadata"])} if found else None

    async def put_config_map(self, body: dict[str, Any]) -> None:
        self.config_maps[body["metadata"]["name"]] = copy.deepcopy(body)

    async def patch_config_map(self, ns: str, name: str, patch: dict[str, Any]) -> None:
        ann = self.config_maps[name]["metadata"].setdefault("annotations", {})
        for k, v in patch["metadata"]["annotations"].items():
            if v is None:
                ann.pop(k, None)
            else:
                ann[k] = v

    async def get_deployment(self, ns: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.deployment)

    async def put_deployment(self, body: dict[str, Any]) -> None:
        body = copy.deepcopy(body)
        body["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"  # as the API server does
        self.deployment = body
        self.deployment_writes += 1

    async def put_service(self, body: dict[str, Any]) -> None:
        pass

    async def pods(self, ns: str, selector: str) -> list[dict[str, Any]]:
        return [{"metadata": {"name": "router-0"}, "status": {"podIP": "10.0.0.1"}}]


class FakePoller:
    """Every router pod hot-reloaded `revision` (None: it kept an older config)."""

    def __init__(self) -> None:
        self.revision: str | None = None

    async def reports(self, pods: list[dict[str, Any]]) -> list[PodReport]:
        return [PodReport(p["metadata"]["name"], self.revision, True) for p in pods]


class Namespace:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, **settings_kw: Any) -> None:
        self.kube, self.poller = FakeKube(), FakePoller()
        settings = OperatorSettings(
            namespaces=["t"], image="img", router_replicas=1, rollout_deadline_seconds=5,
            **settings_kw,
        )  # fmt: skip
        self.ctx = Context(settings, self.kube, self.poller, OperatorMetrics())  # type: ignore[arg-type]
        self.clock = T0
        monkeypatch.setattr(handler, "now", lambda: self.clock)
        monkeypatch.setattr(handler.kopf, "warn", lambda *a, **k: None)

    def sync(self, groups: list[Any], providers: list[Any] | None = None) -> Action | None:
        report = asyncio.run(handler._sync(self.ctx, "t", providers or [provider("p")], groups, []))
        return report.action

    def live(self) -> dict[str, Any]:
        return self.kube.config_maps[NAME]

    def revision(self) -> str:
        return str(self.live()["metadata"]["annotations"][REVISION_ANNOTATION])

    def template(self) -> dict[str, Any]:
        assert self.kube.deployment is not None
        return dict(self.kube.deployment["spec"]["template"])

    def serve(self, groups: list[Any]) -> str:
        """Apply and promote the groups' revision; the revision."""
        assert self.sync(groups) is Action.APPLY
        self.poller.revision = self.revision()
        assert self.sync(groups) is Action.PROMOTE
        assert self.sync(groups) is Action.STEADY
        return self.revision()


def test_config_only_change_hot_reloads_without_touching_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ns = Namespace(monkeypatch)
    good = ns.serve([group("g")])
    tpl, writes = ns.template(), ns.kube.deployment_writes
    assert REVISION_ANNOTATION not in tpl["metadata"]["annotations"]
    assert json.loads(ns.kube.config_maps[LAST_GOOD]["data"][TEMPLATE_KEY]) == tpl

    changed = [group("g", fallback={"maxAttempts": 3})]
    assert ns.sync(changed) is Action.APPLY
    assert ns.revision() != good
    assert ns.kube.deployment_writes == writes and ns.template() == tpl
    ns.poller.revision = ns.revision()  # the pods hot-reloaded the ConfigMap
    assert ns.sync(changed) is Action.PROMOTE
    assert ns.kube.config_maps[LAST_GOOD]["metadata"]["annotations"][REVISION_ANNOTATION] == (
        ns.revision()
    )
    assert ns.kube.deployment_writes == writes


def test_config_only_change_not_reloaded_in_time_restores_only_the_config_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ns = Namespace(monkeypatch)
    good = ns.serve([group("g")])
    good_json = ns.live()["data"][CONFIG_KEY]
    tpl, writes = ns.template(), ns.kube.deployment_writes

    changed = [group("g", fallback={"maxAttempts": 3})]
    assert ns.sync(changed) is Action.APPLY
    assert ns.sync(changed) is Action.WAIT  # the pods still report the good revision
    ns.clock = T0 + timedelta(seconds=60)
    assert ns.sync(changed) is Action.ROLLBACK
    assert ns.revision() == good and ns.live()["data"][CONFIG_KEY] == good_json
    assert ns.live()["metadata"]["annotations"]["switchyard.dev/failed-revision"] != good
    assert ns.kube.deployment_writes == writes and ns.template() == tpl
    assert ns.sync(changed) is Action.HOLD


def test_secrets_change_rolls_the_template_and_rollback_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ns = Namespace(monkeypatch)
    good = ns.serve([group("g")])
    good_json = ns.live()["data"][CONFIG_KEY]
    tpl, writes = ns.template(), ns.kube.deployment_writes

    restricted = [group("g", restricted=True)]  # now mounts the callers Secret too
    assert ns.sync(restricted) is Action.APPLY
    assert ns.kube.deployment_writes == writes + 1
    new_tpl = ns.template()
    assert template_hash(new_tpl) != template_hash(tpl)
    mounts = {m["mountPath"] for m in new_tpl["spec"]["containers"][0]["volumeMounts"]}
    assert "/etc/switchyard/secrets/callers" in mounts

    ns.clock = T0 + timedelta(seconds=60)  # the new pods never report the new revision
    assert ns.sync(restricted) is Action.ROLLBACK
    assert ns.revision() == good and ns.live()["data"][CONFIG_KEY] == good_json
    assert ns.kube.deployment_writes == writes + 2
    assert template_hash(ns.template()) == template_hash(tpl)
    assert ns.template() == tpl


def test_a_failed_rollout_restores_the_revision_the_pods_served_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ns = Namespace(monkeypatch)
    ns.serve([group("g")])
    second = [group("g", fallback={"maxAttempts": 3})]
    assert ns.sync(second) is Action.APPLY
    serving, serving_json = ns.revision(), ns.live()["data"][CONFIG_KEY]
    ns.poller.revision = serving  # every pod reloaded it; the promoting reconcile never ran

    third = [group("g", fallback={"maxAttempts": 4})]
    assert ns.sync(third) is Action.APPLY
    good = ns.kube.config_maps[LAST_GOOD]
    assert good["metadata"]["annotations"][REVISION_ANNOTATION] == serving
    assert ns.revision() != serving
    ns.clock = T0 + timedelta(seconds=60)  # the third never becomes ready
    assert ns.sync(third) is Action.ROLLBACK
    assert ns.revision() == serving and ns.live()["data"][CONFIG_KEY] == serving_json


def test_a_render_is_reused_only_while_the_catalog_version_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ns = Namespace(monkeypatch)
    renders: list[int] = []
    real = handler._render

    def counted(*args: Any) -> Any:
        renders.append(1)
        return real(*args)

    monkeypatch.setattr(handler, "_render", counted)

    def sync(groups: list[Any], version: Any) -> str:
        asyncio.run(handler._sync(ns.ctx, "t", [provider("p")], groups, [], version))
        return ns.revision()

    first = sync([group("g")], "v1")
    assert sync([group("g")], "v1") == first and len(renders) == 1
    # a new version renders anew (here a changed group): never the stale config
    changed = sync([group("g", fallback={"maxAttempts": 3})], "v2")
    assert changed != first and len(renders) == 2
    # no version: always rendered
    assert sync([group("g", fallback={"maxAttempts": 3})], None) == changed and len(renders) == 3


def test_a_packed_config_is_applied_promoted_and_restored_as_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above `config_compress_above` the config travels gzipped in binaryData; the last-good
    map keeps it as stored (beside the template) and a rollback puts it back unchanged."""
    ns = Namespace(monkeypatch, config_compress_above=0)
    good = ns.serve([group("g")])
    packed = ns.live()["binaryData"][CONFIG_KEY]
    assert "data" not in ns.live()
    assert config_json_of(ns.live()) is not None
    assert json.loads(config_json_of(ns.live()) or "")["revision"] == good
    last_good = ns.kube.config_maps[LAST_GOOD]
    assert last_good["binaryData"][CONFIG_KEY] == packed and TEMPLATE_KEY in last_good["data"]

    changed = [group("g", fallback={"maxAttempts": 3})]
    assert ns.sync(changed) is Action.APPLY
    assert ns.live()["binaryData"][CONFIG_KEY] != packed
    ns.clock = T0 + timedelta(seconds=60)  # the pods never reload it
    assert ns.sync(changed) is Action.ROLLBACK
    assert ns.revision() == good and ns.live()["binaryData"][CONFIG_KEY] == packed
    assert ns.live()["metadata"]["annotations"]["switchyard.dev/failed-groups"] == "g"


def test_a_config_the_api_server_would_refuse_is_not_written_and_every_group_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ns = Namespace(monkeypatch)
    good = ns.serve([group("g"), group("h")])
    before = copy.deepcopy(ns.kube.config_maps)
    monkeypatch.setattr(routerres, "CONFIG_LIMIT", 200)
    report = asyncio.run(
        handler._sync(ns.ctx, "t", [provider("p")], [group("g", fallback={"maxAttempts": 3}),
                                                      group("h")], [])
    )  # fmt: skip
    assert report.action is None and report.serving == good
    assert ns.kube.config_maps == before  # nothing written
    for name in ("g", "h"):
        reason, message = report.failure_for(name) or ("", "")
        assert reason == "ConfigTooLarge"
        assert "bytes as stored, over the 200 a ConfigMap can hold" in message


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 1000, 1001, 1002])
def test_stored_bytes_counts_a_payload_as_the_api_server_does(size: int) -> None:
    """binaryData counts decoded (base64 padding is no byte), data as UTF-8."""
    text = "é" * size
    plain = routerres.config_payload(text, compress_above=1 << 30)
    assert routerres.stored_bytes(plain) == len(CONFIG_KEY) + 2 * size
    packed = routerres.config_payload(text, compress_above=-1)
    raw = base64.b64decode(packed["binaryData"][CONFIG_KEY])
    assert routerres.stored_bytes(packed) == len(CONFIG_KEY) + len(raw)
