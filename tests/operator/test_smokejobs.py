"""The smoke Job spec and reading its outcome back from pod status."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from switchyard.catalog import Dialect, EvidenceRow, SmokeRun
from switchyard.operator.smokejobs import (
    KEY_ENV,
    JobSettings,
    build_job,
    direct_target,
    finished,
    job_outcome,
    started,
    timed_out,
)
from tests.catalog.factories import T0, provider, row

SETTINGS = JobSettings(image="registry.example/switchyard:1")


def run(**spec: object) -> SmokeRun:
    return SmokeRun.model_validate(
        {
            "metadata": {"name": "p-m-g1", "namespace": "t", "generation": 1},
            "spec": {"target": {"provider": "p", "model": "m"}, "tasks": ["text", "usage"], **spec},
        }
    )


def test_job_runs_probe_with_only_the_provider_key() -> None:
    job = build_job(run(timeoutSeconds=120), direct_target(provider("p"), "m"), SETTINGS)
    spec = job["spec"]
    pod = spec["template"]["spec"]
    (c,) = pod["containers"]
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 120
    assert spec["ttlSecondsAfterFinished"] == 600
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert c["env"] == [
        {"name": KEY_ENV, "valueFrom": {"secretKeyRef": {"name": "p-key", "key": "apiKey"}}}
    ]
    assert "envFrom" not in c and "volumeMounts" not in c
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
    assert c["terminationMessagePolicy"] == "File"
    args = c["args"]
    assert args[args.index("--base-url") + 1] == "https://up.example/v1"
    assert args[args.index("--model") + 1] == "upstream/m"
    assert args[args.index("--api-key-env") + 1] == KEY_ENV
    assert args[args.index("--tasks") + 1] == "text,usage"
    assert args[args.index("--output") + 1] == "compact"
    assert "apiKey" not in json.dumps(args)


def test_no_auth_provider_gets_no_env_at_all() -> None:
    p = provider("p")
    p.spec.auth.scheme = p.spec.auth.scheme.NONE
    job = build_job(run(), direct_target(p, "m"), SETTINGS)
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["env"] == []
    assert "--api-key-env" not in c["args"]


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="has no model 'x'"):
        direct_target(provider("p"), "x")


def decode(text: str) -> list[EvidenceRow]:
    return [EvidenceRow.model_validate(r) for r in json.loads(text)]


def pod(message: str, code: int = 0) -> dict[str, object]:
    state = {"terminated": {"exitCode": code, "message": message, "reason": "Completed"}}
    return {"status": {"containerStatuses": [{"name": "probe", "state": state}]}}


def test_outcome_reads_the_termination_message() -> None:
    out = job_outcome({}, [pod(json.dumps([row("text")]))], decode)
    assert out is not None and out.reason == "JobSucceeded"
    assert [r.task.value for r in out.rows] == ["text"]


def test_unreadable_message_is_never_copied() -> None:
    out = job_outcome({}, [pod("Traceback: key=sk-SECRET", 1)], decode)
    assert out is not None and out.reason == "ResultsUnreadable"
    assert "SECRET" not in out.message and out.rows == []


def test_running_pod_and_job_give_no_outcome() -> None:
    running = {"status": {"containerStatuses": [{"name": "probe", "state": {"running": {}}}]}}
    assert job_outcome({"status": {}}, [running], decode) is None


def test_deadline_exceeded_job_is_a_timeout() -> None:
    job = {
        "status": {
            "conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]
        }
    }
    out = job_outcome(job, [], decode)
    assert out is not None and out.reason == "Timeout"


def test_operator_deadline_ends_a_run_nobody_executes() -> None:
    r = run(timeoutSeconds=60)
    r.status = started(r, T0, "j", 1)
    assert not timed_out(r, T0 + timedelta(seconds=60))
    assert timed_out(r, T0 + timedelta(seconds=91))


def test_finished_fills_results_recommended_and_conditions() -> None:
    from switchyard.operator.smokejobs import Outcome

    r = run()
    r.status = started(r, T0, "j", 1)
    rows = decode(json.dumps([row("text", inputTokens=5, outputTokens=2), row("usage", "fail")]))
    status = finished(r, Outcome(rows, "JobSucceeded"), Dialect.OPENAI_CHAT, T0)
    conds = {c.type: (c.status.value, c.reason) for c in status.conditions}
    assert conds["Complete"] == ("True", "JobSucceeded")
    assert conds["Succeeded"] == ("False", "SomeTasksFailed")
    assert status.recommended is not None
    assert "text" in status.recommended["verified"]
    assert status.tokens_spent == 7
    assert status.provider_generation == 1


def test_timeout_ends_as_failed_condition() -> None:
    from switchyard.operator.smokejobs import Outcome

    r = run()
    status = finished(r, Outcome([], "Timeout", "deadline"), Dialect.OPENAI_CHAT, T0)
    conds = {c.type: (c.status.value, c.reason) for c in status.conditions}
    assert conds["Complete"] == ("True", "Timeout")
    assert conds["Succeeded"] == ("False", "Timeout")


def test_cloud_platform_provider_passes_platform_region_and_project() -> None:
    from switchyard.catalog import AuthScheme, Platform

    p = provider("p")
    p.spec.platform, p.spec.region, p.spec.project = Platform.VERTEX, "us-east5", "acme-llm-prod"
    p.spec.auth.scheme = AuthScheme.GOOGLE_OAUTH
    args = build_job(run(), direct_target(p, "m"), SETTINGS)["spec"]["template"]["spec"][
        "containers"
    ][0]["args"]
    assert args[args.index("--platform") + 1] == "vertex"
    assert args[args.index("--region") + 1] == "us-east5"
    assert args[args.index("--project") + 1] == "acme-llm-prod"
    assert args[args.index("--auth-scheme") + 1] == "google-oauth"
    assert (
        "--platform"
        not in build_job(run(), direct_target(provider("q"), "m"), SETTINGS)["spec"]["template"][
            "spec"
        ]["containers"][0]["args"]
    )
