"""The operator on a real kube-apiserver: smoke Jobs, evidence, stages, router objects, rollback,
restart mid-promotion, cleanup. The test plays the kubelet (there is none) by patching pod status;
the termination message comes from really running `switchyard probe` against the fake upstream.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from switchyard.catalog import RouterConfig
from switchyard.operator.startup import FINALIZER

from .harness import (
    ROUTER,
    OperatorThread,
    RouterPods,
    cond,
    examples,
    finish_job,
    free_port,
    get,
    live_revision,
    mock_upstream,
    operator_kubeconfig,
    probe_compact,
    provider_manifest,
    secret,
    serve_router_pods,
    settings,
    wait_for,
)

pytestmark = pytest.mark.cluster

TASKS = [
    "text",
    "max-tokens-cap",
    "auto-tools",
    "forced-tools",
    "structured-outputs",
    "streaming",
    "usage",
]


@pytest.fixture
def pods() -> Iterator[RouterPods]:
    server = RouterPods().start()
    yield server
    server.stop()


@pytest.fixture
def rbac_env(
    kubectl: Any, kubeconfig: Any, namespace: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator with a token bound to exactly deploy/rbac.yaml's role, in its namespace."""
    path = operator_kubeconfig(kubectl, kubeconfig, namespace, tmp_path / "operator.kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(path))


def test_examples_become_jobs_evidence_stages_router_and_rollback(
    kubectl: Any,
    namespace: str,
    rbac_env: None,
    pods: RouterPods,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The whole loop, run by an operator holding only the least-privilege role."""
    caplog.set_level(logging.DEBUG)  # every operator log line is checked for the key below
    ns = namespace
    secret(kubectl, ns, "crusoe", apiKey="sk-planted-provider-key-123")
    secret(kubectl, ns, "smoke-callers", alice="caller-token-abc")
    op = OperatorThread(settings(ns, pods)).start()
    try:
        # The Provider first: its first reconcile creates the SmokeRun its generation needs
        # only while no run of that generation exists. Applied together with the example's
        # own SmokeRun, that run could be started first and stand in for it (by design: one
        # run per generation), so whether a g1 run appeared depended on watch order.
        docs = list(yaml.safe_load_all(examples("01-hosted-smoke-group.yaml", ns)))
        providers = [d for d in docs if d["kind"] == "Provider"]
        kubectl("apply", "-f", "-", input=yaml.safe_dump_all(providers))
        wait_for(lambda: get(kubectl, ns, "smokerun", "crusoe-llama-3-3-70b-g1"), "the auto run")
        rest = [d for d in docs if d["kind"] != "Provider"]
        kubectl("apply", "-f", "-", input=yaml.safe_dump_all(rest))

        # 1. Both SmokeRuns (the example's and the one the new Provider generation needs) get
        #    a Job with the intended spec.
        jobs = {"crusoe-llama-3-3-70b-1-probe", "crusoe-llama-3-3-70b-g1-probe"}
        for name in jobs:
            job = wait_for(lambda n=name: get(kubectl, ns, "job", n), f"Job {name}")
            spec = job["spec"]
            pod = spec["template"]["spec"]
            (c,) = pod["containers"]
            assert spec["backoffLimit"] == 0
            assert spec["activeDeadlineSeconds"] == 600
            assert spec["ttlSecondsAfterFinished"] == 600
            assert pod["automountServiceAccountToken"] is False
            assert pod["restartPolicy"] == "Never"
            assert c["env"] == [
                {
                    "name": "SWITCHYARD_PROVIDER_KEY",
                    "valueFrom": {"secretKeyRef": {"name": "crusoe", "key": "apiKey"}},
                }
            ]
            assert c["resources"]["limits"]["memory"] == "256Mi"
            args = c["args"]
            assert args[args.index("--base-url") + 1] == "https://api.inference.crusoecloud.com/v1"
            assert args[args.index("--model") + 1] == "meta-llama/Llama-3.3-70B-Instruct"
            assert args[args.index("--output") + 1] == "compact"
            assert job["metadata"]["ownerReferences"][0]["kind"] == "SmokeRun"

        # 2. The pods "run": their termination messages are real probe output.
        with mock_upstream() as upstream:
            message = probe_compact(upstream, "meta-llama/Llama-3.3-70B-Instruct", TASKS)
        assert len(message.encode()) <= 4096
        for name in jobs:
            finish_job(kubectl, ns, name, message)

        # 3. Evidence lands in SmokeRun status, then in the Provider, then in the group.
        run = wait_for(
            lambda: (
                (r := get(kubectl, ns, "smokerun", "crusoe-llama-3-3-70b-g1"))
                and (cond(r, "Complete") or {}).get("status") == "True"
                and r
            ),
            "the auto SmokeRun to complete",
        )
        assert cond(run, "Succeeded")["status"] == "True"
        assert {r["task"] for r in run["status"]["results"]} == set(TASKS)
        assert "text" in run["status"]["recommended"]["verified"]
        assert run["status"]["providerGeneration"] == 1

        provider = wait_for(
            lambda: (
                (p := get(kubectl, ns, "provider", "crusoe"))
                and cond(p, "Ready")
                and cond(p, "Ready")["status"] == "True"
                and p
            ),
            "the Provider to be Ready",
        )
        verified = provider["status"]["models"][0]["verified"]
        assert {"text", "tools", "toolChoice", "streaming", "usage"} <= set(verified)
        assert cond(provider, "AccessBlocked")["status"] == "False"
        assert "kopf" not in json.dumps(provider["metadata"].get("annotations", {}))
        # its evidence came from the level sweep (no kopf timer): no finalizer on a Provider
        assert not provider["metadata"].get("finalizers")

        group = wait_for(
            lambda: (
                (g := get(kubectl, ns, "modelgroup", "hosted-openai-compatible-smoke"))
                and g.get("status", {}).get("targets")
                and g["status"]["targets"][0]["stage"] == "SmokeOnly"
                and g
            ),
            "the restricted group's target to reach SmokeOnly",
        )
        assert group["status"]["targets"][0]["effectiveWeight"] == 100

        # 4. The router: ConfigMap with the rendered config, Deployment, Service.
        def routed() -> RouterConfig | None:
            cm = get(kubectl, ns, "configmap", ROUTER)
            if not cm:
                return None
            config = RouterConfig.model_validate_json(cm["data"]["config.json"])
            g = config.group("hosted-openai-compatible-smoke")
            return config if g and g.targets and g.targets[0].weight == 100 else None

        config = wait_for(routed, "the ConfigMap to route the proven target")
        assert live_revision(kubectl, ns) == config.revision
        assert config.provider("crusoe").model("llama-3-3-70b").verified  # type: ignore[union-attr]
        dep = wait_for(lambda: get(kubectl, ns, "deployment", ROUTER), "the router Deployment")
        tpl = dep["spec"]["template"]
        # The template carries what the pods mount and run, never the config revision.
        assert "switchyard.dev/revision" not in tpl["metadata"]["annotations"]
        good_hash = tpl["metadata"]["annotations"]["switchyard.dev/template-hash"]
        mounts = {m["mountPath"]: m for m in tpl["spec"]["containers"][0]["volumeMounts"]}
        assert mounts["/etc/switchyard/secrets/crusoe"]["readOnly"] is True
        assert mounts["/etc/switchyard/secrets/smoke-callers"]["readOnly"] is True
        assert tpl["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert tpl["spec"]["securityContext"]["runAsNonRoot"] is True
        assert get(kubectl, ns, "service", ROUTER)["spec"]["ports"][0]["port"] == 8080

        # 5. Router pods report the revision: it becomes the last good one.
        wait_for(lambda: serve_router_pods(kubectl, ns), "router pods to exist")
        good = config.revision
        pods.revision = good
        wait_for(
            lambda: (
                (lg := get(kubectl, ns, "configmap", f"{ROUTER}-last-good"))
                and lg["metadata"]["annotations"]["switchyard.dev/revision"] == good
            ),
            "the revision to become the last good one",
        )
        wait_for(
            lambda: (
                get(kubectl, ns, "modelgroup", "hosted-openai-compatible-smoke")["status"].get(
                    "routerRevision"
                )
                == good
            ),
            "the group to report the served revision",
        )

        # 6. A config-only change updates the ConfigMap alone (the pods hot-reload it); when
        #    the pods stay on the stale revision past the deadline it is rolled back.
        good_dep = get(kubectl, ns, "deployment", ROUTER)
        kubectl(
            "patch", "modelgroup", "hosted-openai-compatible-smoke", "-n", ns, "--type=merge",
            "-p", json.dumps({"spec": {"fallback": {"maxAttempts": 3}}}),
        )  # fmt: skip
        wait_for(lambda: live_revision(kubectl, ns) not in (None, good), "the new revision")
        dep = get(kubectl, ns, "deployment", ROUTER)
        assert dep["spec"]["template"] == good_dep["spec"]["template"]
        assert dep["metadata"]["generation"] == good_dep["metadata"]["generation"]
        serve_router_pods(kubectl, ns)
        degraded = wait_for(
            lambda: (
                (
                    d := cond(
                        get(kubectl, ns, "modelgroup", "hosted-openai-compatible-smoke"), "Degraded"
                    )
                )
                and d["status"] == "True"
                and d
            ),
            "the group to be Degraded by the rollback",
        )
        assert degraded["reason"] == "RouterRolloutFailed"
        cm = get(kubectl, ns, "configmap", ROUTER)
        assert cm["metadata"]["annotations"]["switchyard.dev/revision"] == good
        assert RouterConfig.model_validate_json(cm["data"]["config.json"]).revision == good
        failed = cm["metadata"]["annotations"]["switchyard.dev/failed-revision"]
        assert failed != good
        dep = get(kubectl, ns, "deployment", ROUTER)
        assert dep["spec"]["template"] == good_dep["spec"]["template"]  # nothing to restore
        assert dep["metadata"]["generation"] == good_dep["metadata"]["generation"]
        events = get(kubectl, ns, "events", "--field-selector", "reason=RouterRolledBack")
        assert events["items"], "a RouterRolledBack event"

        # 6b. A change of the Secrets list changes the template (hash), so the pods restart;
        #     its rollback restores the last good ConfigMap and the template.
        secret(kubectl, ns, "smoke-callers-2", bob="caller-token-def")
        kubectl(
            "patch", "modelgroup", "hosted-openai-compatible-smoke", "-n", ns, "--type=merge",
            "-p", json.dumps({"spec": {"access": {"callerSecretRef": {"name": "smoke-callers-2"}}}}),
        )  # fmt: skip

        def template_hash() -> str:
            tpl = get(kubectl, ns, "deployment", ROUTER)["spec"]["template"]
            return str(tpl["metadata"]["annotations"]["switchyard.dev/template-hash"])

        wait_for(lambda: template_hash() != good_hash, "the template hash to change")
        tpl = get(kubectl, ns, "deployment", ROUTER)["spec"]["template"]
        mounts = {m["mountPath"] for m in tpl["spec"]["containers"][0]["volumeMounts"]}
        assert "/etc/switchyard/secrets/smoke-callers-2" in mounts
        assert "/etc/switchyard/secrets/smoke-callers" not in mounts
        assert live_revision(kubectl, ns) not in (good, failed)
        serve_router_pods(kubectl, ns)
        wait_for(
            lambda: live_revision(kubectl, ns) == good and template_hash() == good_hash,
            "the ConfigMap and the template to be restored",
        )
        dep = get(kubectl, ns, "deployment", ROUTER)
        assert dep["spec"]["template"] == good_dep["spec"]["template"]
        cm = get(kubectl, ns, "configmap", ROUTER)
        assert RouterConfig.model_validate_json(cm["data"]["config.json"]).revision == good

        # Nothing secret anywhere the operator writes.
        everything = kubectl(
            "get",
            "providers,modelgroups,smokeruns,configmaps,events,jobs,deployments",
            "-n",
            ns,
            "-o",
            "json",
        ).stdout
        assert "sk-planted-provider-key-123" not in everything
        assert "caller-token-abc" not in everything
        assert base64.b64encode(b"sk-planted-provider-key-123").decode() not in everything
        assert "sk-planted-provider-key-123" not in caplog.text

        # 7. Deleting the group removes the router objects the operator created for it.
        kubectl(
            "delete",
            "modelgroup",
            "hosted-openai-compatible-smoke",
            "-n",
            ns,
            "--wait=true",
            timeout=120,
        )
        for kind in ("configmap", "deployment", "service"):
            wait_for(lambda k=kind: get(kubectl, ns, k, ROUTER) is None, f"the router {kind} to go")
        assert get(kubectl, ns, "configmap", f"{ROUTER}-last-good") is None
    finally:
        op.stop()


class Follower:
    """Plays kubelet + router for router pods: gives them an IP and has /readyz report the
    ConfigMap's revision (the volume synced, the config loaded)."""

    def __init__(self, kubectl: Any, ns: str, pods: RouterPods) -> None:
        self.kubectl, self.ns, self.pods = kubectl, ns, pods
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_flag.wait(0.5):
            try:
                serve_router_pods(self.kubectl, self.ns)
                self.pods.revision = live_revision(self.kubectl, self.ns)
            except Exception:
                continue

    def __enter__(self) -> Follower:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_flag.set()
        self.thread.join(10)


def test_restart_mid_promotion_resumes_without_skipping_or_repeating(
    kubectl: Any, namespace: str, admin_env: None, pods: RouterPods
) -> None:
    ns = namespace
    secret(kubectl, ns, "up", apiKey="sk-planted-inline-key")
    pods.targets = [("rollout", "up", "m")]
    pods.traffic_per_scrape = 10
    seen: list[tuple[str, int, int]] = []

    def record() -> tuple[str, int, int] | None:
        g = get(kubectl, ns, "modelgroup", "rollout")
        targets = (g or {}).get("status", {}).get("targets") or []
        if not targets:
            return None
        t = targets[0]
        state = (t["stage"], t.get("step", 0), t.get("effectiveWeight", 0))
        if not seen or seen[-1] != state:
            seen.append(state)
        return state

    with mock_upstream() as upstream, Follower(kubectl, ns, pods):
        cfg = settings(ns, pods, smoke_executor="inline")
        op = OperatorThread(cfg).start()
        try:
            kubectl("apply", "-f", "-", input=provider_manifest(ns, upstream))
            wait_for(lambda: record() == ("Limited", 0, 20), "Limited step 0", 120)
        finally:
            op.stop()
        stopped_at = record()
        time.sleep(7)  # two intervals pass while no operator runs
        assert record() == stopped_at, "nothing moves while the operator is down"
        op = OperatorThread(cfg).start()
        try:
            wait_for(lambda: record() == ("Active", 1, 40), "Active", 120)
            kubectl("delete", "modelgroup", "rollout", "-n", ns, "--wait=true", timeout=120)
        finally:
            op.stop()

    tail = seen[seen.index(("Limited", 0, 20)) :]
    assert tail == [("Limited", 0, 20), ("Limited", 1, 40), ("Active", 1, 40)], seen
    assert seen[0][0] in ("CatalogOnly", "SmokeOnly"), seen
    promoted = get(kubectl, ns, "events", "--field-selector", "reason=Promoted")["items"]
    assert len(promoted) == 1, "exactly one Promoted step event"
    # the evidence came from the inline executor really probing the fake upstream
    provider = get(kubectl, ns, "provider", "up")
    assert "text" in provider["status"]["models"][0]["verified"]
    runs = get(kubectl, ns, "smokeruns")["items"]
    assert [r["metadata"]["name"] for r in runs] == ["up-m-g1"]
    assert runs[0]["status"]["results"]
    everything = kubectl("get", "providers,smokeruns,events", "-n", ns, "-o", "json").stdout
    assert "sk-planted-inline-key" not in everything


def test_all_examples_get_jobs_per_skin_layer_and_deadline(
    kubectl: Any, namespace: str, admin_env: None, pods: RouterPods
) -> None:
    ns = namespace
    for name in ("minimax", "hosted-chat", "responses-provider"):
        secret(kubectl, ns, name, apiKey=f"sk-{name}")
    secret(kubectl, ns, "smoke-callers", alice="caller-token-abc")
    # openrouter's Secret is left out on purpose
    files = ["02-one-model-three-skins.yaml", "03-chat-upstream-for-responses-callers.yaml",
             "04-responses-upstream-for-chat-callers.yaml", "05-aggregator.yaml"]  # fmt: skip
    op = OperatorThread(settings(ns, pods)).start()
    try:
        for f in files:
            kubectl("apply", "-f", "-", input=examples(f, ns))
        deadline_run = {
            "apiVersion": "switchyard.dev/v1alpha1",
            "kind": "SmokeRun",
            "metadata": {"name": "deadline", "namespace": ns},
            "spec": {"target": {"provider": "minimax-chat", "model": "m3"}, "timeoutSeconds": 10},
        }
        kubectl("apply", "-f", "-", input=json.dumps(deadline_run))

        providers = {p["metadata"]["name"]: p for p in get(kubectl, ns, "providers")["items"]}
        direct = {
            "minimax-chat-m3-1": "minimax-chat", "minimax-responses-m3-1": "minimax-responses",
            "minimax-messages-m3-1": "minimax-messages", "hosted-chat-chat-model-1": "hosted-chat",
            "openrouter-gpt-oss-20b-1": "openrouter", "minimax-chat-m3-g1": "minimax-chat",
            "minimax-messages-m3-g1": "minimax-messages", "openrouter-llama-70b-nitro-g1": "openrouter",
        }  # fmt: skip
        for run, provider in direct.items():
            job = wait_for(lambda r=run: get(kubectl, ns, "job", f"{r}-probe"), f"Job of {run}")
            (c,) = job["spec"]["template"]["spec"]["containers"]
            spec = providers[provider]["spec"]
            ref = spec["auth"]["secretRef"]
            assert c["env"] == [
                {"name": "SWITCHYARD_PROVIDER_KEY", "valueFrom": {"secretKeyRef": ref}}
            ], run
            args = c["args"]
            assert args[args.index("--dialect") + 1] == spec["dialect"], run
            assert args[args.index("--base-url") + 1] == spec["baseUrl"], run
            model = run.removeprefix(f"{provider}-").rsplit("-", 1)[0]
            served = next(m["model"] for m in spec["models"] if m["name"] == model)
            assert args[args.index("--model") + 1] == served, run

        # The router-layer SmokeRun probes the namespace's router with a caller token.
        job = wait_for(
            lambda: get(kubectl, ns, "job", "responses-chat-bridge-smoke-1-probe"), "router Job"
        )
        (c,) = job["spec"]["template"]["spec"]["containers"]
        args = c["args"]
        assert args[args.index("--router") + 1] == f"http://{ROUTER}.{ns}.svc:8080"
        assert args[args.index("--group") + 1] == "responses-chat-bridge-smoke"
        assert args[args.index("--dialect") + 1] == "openai-responses"
        assert c["env"] == [
            {
                "name": "SWITCHYARD_CALLER_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "smoke-callers", "key": "alice"}},
            }
        ]

        # A missing key Secret is a clear condition.
        ready = wait_for(
            lambda: cond(get(kubectl, ns, "provider", "openrouter"), "Ready"), "openrouter Ready"
        )
        assert (ready["status"], ready["reason"]) == ("False", "SecretMissing")
        assert "openrouter" in ready["message"]

        # Nobody runs the deadline run's pod: the Job's deadline ends it as a failed condition.
        run = wait_for(
            lambda: (
                (r := get(kubectl, ns, "smokerun", "deadline"))
                and (cond(r, "Complete") or {}).get("status") == "True"
                and r
            ),
            "the deadline SmokeRun to end",
            90,
        )
        assert cond(run, "Complete")["reason"] == "Timeout"
        assert cond(run, "Succeeded")["status"] == "False"

        # A group naming a Provider that does not exist is refused alone, with the field path.
        broken = {
            "apiVersion": "switchyard.dev/v1alpha1",
            "kind": "ModelGroup",
            "metadata": {"name": "broken", "namespace": ns},
            "spec": {"targets": [{"provider": "nope", "model": "m"}]},
        }
        kubectl("apply", "-f", "-", input=json.dumps(broken))
        degraded = wait_for(
            lambda: (
                (d := cond(get(kubectl, ns, "modelgroup", "broken"), "Degraded"))
                and d["status"] == "True"
                and d
            ),
            "the broken group to be Degraded",
        )
        assert degraded["reason"] == "RenderFailed"
        assert "spec.targets[0].provider: Provider 'nope' not found" in degraded["message"]
        config = RouterConfig.model_validate_json(
            get(kubectl, ns, "configmap", ROUTER)["data"]["config.json"]
        )
        assert config.group("broken") is None and config.group("agent-coding") is not None

        # The weighted group has no evidence yet: catalog-only, nothing routed.
        group = wait_for(
            lambda: (
                (g := get(kubectl, ns, "modelgroup", "agent-coding"))
                and g.get("status", {}).get("targets")
                and g
            ),
            "agent-coding status",
        )
        assert {t["stage"] for t in group["status"]["targets"]} == {"CatalogOnly"}
        assert {t["effectiveWeight"] for t in group["status"]["targets"]} == {0}
        for g in get(kubectl, ns, "modelgroups")["items"]:
            kubectl("delete", "modelgroup", g["metadata"]["name"], "-n", ns, "--wait=true")
    finally:
        op.stop()


def test_failing_gates_roll_back_and_the_retry_annotation_restarts(
    kubectl: Any,
    namespace: str,
    admin_env: None,
    pods: RouterPods,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every operator log line is checked for the key below
    ns = namespace
    secret(kubectl, ns, "up", apiKey="sk-planted-inline-key")
    pods.targets = [("rollout", "up", "m")]
    pods.traffic_per_scrape = 10

    def target() -> dict[str, Any] | None:
        g = get(kubectl, ns, "modelgroup", "rollout")
        targets = (g or {}).get("status", {}).get("targets") or []
        return dict(targets[0]) if targets else None

    with mock_upstream() as upstream, Follower(kubectl, ns, pods):
        op = OperatorThread(settings(ns, pods, smoke_executor="inline")).start()
        try:
            kubectl("apply", "-f", "-", input=provider_manifest(ns, upstream))
            wait_for(lambda: (t := target()) and t["stage"] == "Limited", "Limited", 120)
            pods.outcome = "error"
            rolled = wait_for(
                lambda: (t := target()) and t["stage"] == "RolledBack" and t, "RolledBack", 60
            )
            assert rolled["effectiveWeight"] == 0
            assert rolled["reason"] == "GatesFailed"
            degraded = cond(get(kubectl, ns, "modelgroup", "rollout"), "Degraded")
            assert degraded is not None
            assert (degraded["status"], degraded["reason"]) == ("True", "TargetsRolledBack")
            config = RouterConfig.model_validate_json(
                get(kubectl, ns, "configmap", ROUTER)["data"]["config.json"]
            )
            assert config.group("rollout").targets[0].weight == 0  # type: ignore[union-attr]
            events = get(kubectl, ns, "events", "--field-selector", "reason=GatesFailed")
            assert any("error rate" in e["message"] for e in events["items"])

            # Time and good traffic alone do not bring it back; a new retry value does.
            pods.outcome = "ok"
            time.sleep(3)
            assert target()["stage"] == "RolledBack"  # type: ignore[index]
            kubectl("annotate", "modelgroup", "rollout", "-n", ns, "switchyard.dev/retry=1")
            wait_for(
                lambda: (t := target()) and t["stage"] in ("SmokeOnly", "Limited") and t,
                "the retry to restart promotion",
                60,
            )
            kubectl("delete", "modelgroup", "rollout", "-n", ns, "--wait=true", timeout=120)
        finally:
            op.stop()
    # the inline executor read the key; it never reached a log line
    assert caplog.text and "sk-planted-inline-key" not in caplog.text


def test_switchyard_operator_command_reconciles_and_serves_metrics(
    kubectl: Any, kubeconfig: Any, namespace: str
) -> None:
    """The real `switchyard operator` process: settings from the environment, SIGTERM exits."""
    port = free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "SWITCHYARD_OPERATOR_RECONCILE_INTERVAL_SECONDS": "1",
    }
    cmd = [sys.executable, "-m", "switchyard.cli", "operator", "--namespace", namespace,
           "--metrics-port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        provider = yaml.safe_load(examples("01-hosted-smoke-group.yaml", namespace).split("---")[0])
        # as an operator before the Provider sweep left it: with kopf's finalizer on it
        provider["metadata"]["finalizers"] = [FINALIZER]
        kubectl("apply", "-f", "-", input=yaml.safe_dump(provider))
        ready = wait_for(
            lambda: cond(get(kubectl, namespace, "provider", "crusoe"), "Ready"), "Ready", 60
        )
        assert (ready["status"], ready["reason"]) == ("False", "SecretMissing")
        # nothing needs the finalizer any more: kopf takes it off, so deleting is not blocked
        wait_for(
            lambda: not get(kubectl, namespace, "provider", "crusoe")["metadata"].get("finalizers"),
            "the old finalizer removed",
        )
        metrics = wait_for(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read(),
            "the operator's metrics",
        ).decode()
        assert 'switchyard_operator_reconciles_total{kind="Provider",result="ok"}' in metrics
        assert "switchyard_operator_auto_smoke_runs_total 1.0" in metrics
        kubectl("delete", "provider", "crusoe", "-n", namespace, "--timeout=60s")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert f"Provider {namespace}/crusoe: SmokeRunCreated: " in err.decode()  # a log line


def test_switchyard_operator_needs_a_namespace_choice() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "operator"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--namespace NS" in proc.stdout + proc.stderr
