"""Promotion, rollback, operator restart and hot reload on a real node, under real traffic.

The router pods are real pods behind their real readiness probe; the operator reads their
/readyz and /metrics from its own pod; traffic is the official openai SDK from the host through
the router Service.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from e2e import nodemanifests as m
from e2e.pytest_node import RELEASE_NS, E2ECluster, wait_for

from .helpers import (
    ROUTER,
    Traffic,
    cond,
    ready,
    revision,
    rollout_log,
    router_pods,
    start_upstream,
    target,
    wait_active,
    wait_router_serving,
)

pytestmark = pytest.mark.node
OPERATOR_SELECTOR = "app.kubernetes.io/name=switchyard-operator"
TEMPLATE_HASH = "switchyard.dev/template-hash"


def _template_hash(e2e: E2ECluster, ns: str) -> str:
    dep = e2e.get(ns, "deployment", ROUTER)
    return str(dep["spec"]["template"]["metadata"]["annotations"][TEMPLATE_HASH])


def _events(e2e: E2ECluster, ns: str, reason: str) -> list[dict[str, Any]]:
    items = e2e.get(ns, "events", "--field-selector", f"reason={reason}")["items"]
    return list(items)


def _weighted(ns: str, steps: list[int], interval: str) -> str:
    promotion = {"steps": steps, "interval": interval, "failureThreshold": 2,
                 "gates": {"minRequests": 5}}  # fmt: skip
    return m.dump(
        m.secret(ns, "fake-key"),
        m.provider(ns, "fake-chat", "openai-chat", "fake-key"),
        m.group(ns, "rollout", [("fake-chat", 40)], strategy="weighted", promotion=promotion),
    )


class Stages:
    """Every distinct (stage, step, effectiveWeight) the target passes through, in order."""

    def __init__(self, e2e: E2ECluster, ns: str) -> None:
        self.e2e, self.ns = e2e, ns
        self.seen: list[tuple[str, int, int]] = []

    def record(self) -> tuple[str, int, int] | None:
        t = target(self.e2e, self.ns, "rollout", "fake-chat")
        if t is None:
            return None
        state = (t["stage"], t.get("step", 0), t.get("effectiveWeight", 0))
        if not self.seen or self.seen[-1] != state:
            self.seen.append(state)
        return state


def test_promotion_steps_to_active_under_real_traffic(e2e: E2ECluster, e2e_ns: str) -> None:
    ns = e2e_ns
    start_upstream(e2e, ns)
    stages = Stages(e2e, ns)
    e2e.apply(ns, _weighted(ns, [50, 100], "6s"))
    wait_router_serving(e2e, ns, replicas=2)
    with e2e.service_url(ns, ROUTER, 8080) as url, Traffic(url, "rollout") as traffic:
        wait_for(lambda: stages.record() == ("Active", 1, 40), "Active", 240, 0.5)
    tail = stages.seen[stages.seen.index(("Limited", 0, 20)) :]
    assert tail == [("Limited", 0, 20), ("Limited", 1, 40), ("Active", 1, 40)], stages.seen
    active = target(e2e, ns, "rollout", "fake-chat")
    assert active and active["reason"] == "GatesPassed"
    assert len(_events(e2e, ns, "Promoted")) == 1
    assert traffic.ok >= 10  # gates needed minRequests per interval from the pods' /metrics
    # Each step re-renders the weights: the final revision becomes the last good one once every
    # pod reports it from its own /readyz.
    wait_for(lambda: revision(e2e, ns) == revision(e2e, ns, f"{ROUTER}-last-good"),
             "the final weights' revision promoted", 120)  # fmt: skip
    wait_router_serving(e2e, ns, replicas=2)


def test_config_failing_readiness_is_rolled_back_while_traffic_is_served(
    e2e: E2ECluster, e2e_ns: str
) -> None:
    """The group starts referencing a Secret that does not exist yet (its caller tokens): the new
    router pods can never start (the kubelet cannot mount the Secret), so the rollout misses its
    deadline and the operator restores the last good revision (ConfigMap and pod template); the
    old pods serve every request meanwhile. No other object changes, so the failed revision is
    held, not retried."""
    ns = e2e_ns
    start_upstream(e2e, ns)
    e2e.apply(ns, m.dump(
        m.secret(ns, "fake-key"),
        m.provider(ns, "fake-chat", "openai-chat", "fake-key"),
        m.group(ns, "agent", [("fake-chat", 1)]),
    ))  # fmt: skip
    wait_active(e2e, ns, "agent", "fake-chat")
    good = revision(e2e, ns, f"{ROUTER}-last-good")
    good_hash = _template_hash(e2e, ns)
    old_pods = {p["metadata"]["uid"] for p in router_pods(e2e, ns)}
    stuck: list[str] = []

    def rolled_back() -> bool:
        for p in router_pods(e2e, ns):
            hash_ = p["metadata"].get("annotations", {}).get(TEMPLATE_HASH)
            if hash_ != good_hash and not ready(p):
                stuck.append(p["metadata"]["name"])
        group = e2e.get(ns, "modelgroup", "agent")
        degraded = cond(group, "Degraded") or {}
        return degraded.get("status") == "True" and degraded.get("reason") == (
            "RouterRolloutFailed"
        )

    with e2e.service_url(ns, ROUTER, 8080) as url, Traffic(url, "agent") as traffic:
        wait_for(lambda: traffic.ok >= 5, "traffic flowing", 60, 0.5)
        # The group now names a caller-token Secret nobody has created yet.
        access = {"callerSecretRef": {"name": "not-created-yet"}}
        e2e.apply(ns, m.dump(m.group(ns, "agent", [("fake-chat", 1)], access=access)))
        try:
            wait_for(rolled_back, "Degraded=True RouterRolloutFailed", 240, 1)
            wait_for(lambda: _template_hash(e2e, ns) == good_hash, "the old template back", 60)
            wait_router_serving(e2e, ns, replicas=2)
            served = traffic.ok
            wait_for(lambda: traffic.ok >= served + 5, "traffic after the rollback", 60, 0.5)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}; traffic: {traffic}; operator:\n{rollout_log(e2e, ns)}"
            ) from None
    assert traffic.failed == [], str(traffic)
    assert stuck, "a pod of the failing template was seen not Ready"
    assert revision(e2e, ns) == good  # the live ConfigMap holds the last good revision again
    assert {p["metadata"]["uid"] for p in router_pods(e2e, ns)} == old_pods
    assert _events(e2e, ns, "RouterRolledBack")
    mounts = [e for e in _events(e2e, ns, "FailedMount") if "not-created-yet" in e["message"]]
    assert mounts, "the kubelet reported the missing Secret"


def test_operator_pod_deleted_mid_promotion_resumes_without_skip_or_repeat(
    e2e: E2ECluster, e2e_ns: str
) -> None:
    ns = e2e_ns
    start_upstream(e2e, ns)
    stages = Stages(e2e, ns)
    e2e.apply(ns, _weighted(ns, [25, 50, 100], "8s"))
    wait_router_serving(e2e, ns, replicas=2)
    (old,) = e2e.get(RELEASE_NS, "pods", "-l", OPERATOR_SELECTOR)["items"]
    with e2e.service_url(ns, ROUTER, 8080) as url, Traffic(url, "rollout") as traffic:
        wait_for(lambda: stages.record() == ("Limited", 0, 10), "Limited step 0", 240, 0.5)
        e2e.kubectl("delete", "pod", "-n", RELEASE_NS, old["metadata"]["name"], "--wait=false")

        def new_operator() -> bool:
            stages.record()
            pods = e2e.get(RELEASE_NS, "pods", "-l", OPERATOR_SELECTOR)["items"]
            return any(p["metadata"]["uid"] != old["metadata"]["uid"] and ready(p) for p in pods)

        wait_for(new_operator, "a new operator pod Ready", 180, 0.5)
        wait_for(lambda: stages.record() == ("Active", 2, 40), "Active", 300, 0.5)
    tail = stages.seen[stages.seen.index(("Limited", 0, 10)) :]
    assert tail == [
        ("Limited", 0, 10),
        ("Limited", 1, 20),
        ("Limited", 2, 40),
        ("Active", 2, 40),
    ], stages.seen
    assert len(_events(e2e, ns, "Promoted")) == 2  # one per step: none skipped, none repeated
    assert traffic.ok >= 10


def test_config_only_change_hot_reloads_without_restarting_pods(
    e2e: E2ECluster, e2e_ns: str
) -> None:
    ns = e2e_ns
    start_upstream(e2e, ns)
    e2e.apply(ns, m.dump(
        m.secret(ns, "fake-key"),
        m.provider(ns, "fake-chat", "openai-chat", "fake-key"),
        m.group(ns, "agent", [("fake-chat", 1)]),
    ))  # fmt: skip
    wait_active(e2e, ns, "agent", "fake-chat")
    before = {p["metadata"]["uid"]: p["status"]["containerStatuses"][0]["restartCount"]
              for p in router_pods(e2e, ns)}  # fmt: skip
    old_rev = revision(e2e, ns, f"{ROUTER}-last-good")
    old_hash = _template_hash(e2e, ns)
    generation = e2e.get(ns, "deployment", ROUTER)["metadata"]["generation"]

    # A second group: only the rendered config changes (same Secrets, image and resources).
    e2e.apply(ns, m.dump(m.group(ns, "second", [("fake-chat", 1)])))
    wait_for(lambda: revision(e2e, ns, f"{ROUTER}-last-good") not in (None, old_rev),
             "the new revision promoted to last good", 180)  # fmt: skip
    wait_router_serving(e2e, ns, replicas=2)
    after = {p["metadata"]["uid"]: p["status"]["containerStatuses"][0]["restartCount"]
             for p in router_pods(e2e, ns)}  # fmt: skip
    assert after == before  # same pods, not restarted
    assert _template_hash(e2e, ns) == old_hash
    assert e2e.get(ns, "deployment", ROUTER)["metadata"]["generation"] == generation
    with e2e.service_url(ns, ROUTER, 8080) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="caller", max_retries=0, timeout=20)
        reply = client.chat.completions.create(
            model="second", messages=[{"role": "user", "content": "Say OK"}], max_tokens=16
        )
        assert reply.choices[0].message.content
