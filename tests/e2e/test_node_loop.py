"""The whole loop on a real node: the operator (a pod, installed by Helm) turns applied
manifests into smoke Jobs whose pods really probe the fake upstream by its Service DNS name, and
into router pods made Ready by their real readiness probe, which answer the official SDKs.

Nothing here plays the kubelet: pod status is only ever read.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from e2e import nodemanifests as m
from e2e.pytest_node import E2ECluster, wait_for

from .helpers import (
    ROUTER,
    cond,
    pod_revision,
    ready,
    revision,
    router_pods,
    start_upstream,
    wait_active,
)

pytestmark = pytest.mark.node


def test_smoke_jobs_evidence_router_pods_and_sdk_traffic(e2e: E2ECluster, e2e_ns: str) -> None:
    ns = e2e_ns
    start_upstream(e2e, ns)
    e2e.apply(ns, m.dump(
        m.secret(ns, "fake-key"),
        m.provider(ns, "fake-chat", "openai-chat", "fake-key"),
        m.provider(ns, "fake-messages", "anthropic", "fake-key"),
        m.group(ns, "agent", [("fake-chat", 1), ("fake-messages", 1)]),
    ))  # fmt: skip

    # 1. The operator created one SmokeRun per Provider model; each ran as a Job whose pod the
    #    kubelet really ran, and the evidence came back through the termination message.
    for provider in ("fake-chat", "fake-messages"):
        run_name = f"{provider}-m-g1"
        run = wait_for(
            lambda r=run_name: (
                (x := e2e.get(ns, "smokerun", r))
                and (cond(x, "Complete") or {}).get("status") == "True"
                and x
            ),
            f"SmokeRun {run_name} Complete",
            240,
            2,
        )
        assert (cond(run, "Succeeded") or {}).get("status") == "True", run["status"]
        results = {r["task"]: r["result"] for r in run["status"]["results"]}
        assert results.get("text") == "pass", results
        job_name = run["status"]["jobName"]
        job = wait_for(
            lambda n=job_name: (
                (j := e2e.get(ns, "job", n)) and j["status"].get("succeeded") == 1 and j
            ),
            "the Job controller to count the pod Succeeded",
            60,
        )
        (pod,) = e2e.get(ns, "pods", "-l", f"job-name={job['metadata']['name']}")["items"]
        state = pod["status"]["containerStatuses"][0]
        assert state["state"]["terminated"]["exitCode"] == 0
        assert state["containerID"].startswith("containerd://")  # a runtime ran it
        assert state["imageID"], state
        assert state["state"]["terminated"]["message"]  # the evidence it handed back
        args = pod["spec"]["containers"][0]["args"]
        assert m.upstream_url(ns, "openai-chat" if provider == "fake-chat" else "anthropic") in (
            args
        )
        if e2e.local:
            assert pod["spec"]["nodeName"] == "switchyard-node"
        wait_for(
            lambda p=provider: (
                "text"
                in (
                    (e2e.get(ns, "provider", p)["status"].get("models") or [{}])[0].get("verified")
                    or {}
                )
            ),
            f"Provider {provider} verified text from the evidence",
            60,
        )

    # 2. Router pods Ready through their real readiness probe, serving the rendered revision.
    for provider in ("fake-chat", "fake-messages"):
        wait_active(e2e, ns, "agent", provider)
    dep = e2e.get(ns, "deployment", ROUTER)
    probe = dep["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"]["path"] == "/readyz"
    pods = router_pods(e2e, ns)
    assert len(pods) == 2 and all(ready(p) for p in pods)
    good = revision(e2e, ns, f"{ROUTER}-last-good")
    assert {pod_revision(e2e, ns, p["metadata"]["name"]) for p in pods} == {good}

    # 3. Requests from the host through the router Service with the official SDKs.
    with e2e.service_url(ns, ROUTER, 8080) as url:
        chat = openai.OpenAI(base_url=f"{url}/v1", api_key="caller", max_retries=0, timeout=20)
        reply = chat.chat.completions.create(
            model="agent", messages=[{"role": "user", "content": "Say OK"}], max_tokens=16
        )
        assert reply.choices[0].message.content
        claude = anthropic.Anthropic(base_url=url, api_key="caller", max_retries=0, timeout=20)
        message = claude.messages.create(
            model="agent", max_tokens=16, messages=[{"role": "user", "content": "Say OK"}]
        )
        assert message.content and message.content[0].type == "text"
        assert message.content[0].text

    # 4. The planted key never shows outside its Secret: not in status, events or the logs.
    dumped = e2e.kubectl("get", "providers,modelgroups,smokeruns,events,configmaps", "-n", ns,
                         "-o", "json").stdout  # fmt: skip
    logs = e2e.kubectl("logs", "-n", "switchyard-e2e", "deployment/switchyard-switchyard-operator",
                       "--tail=-1").stdout  # fmt: skip
    for pod in router_pods(e2e, ns):
        logs += e2e.kubectl("logs", "-n", ns, pod["metadata"]["name"]).stdout
    assert m.KEY not in dumped + logs
    assert json.loads(dumped)["items"]
