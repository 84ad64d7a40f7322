"""SmokeRun execution plan: the probe command, the Job that runs it, and reading its outcome.

Pure. The Job's pod gets exactly one secret, the provider key (or the caller token on the router
layer), as an environment variable; no service-account token, no service links, no retries, a
deadline, and a TTL so finished Jobs clean themselves up. The probe writes its compact evidence
to the termination message, which the operator reads back from the pod status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from switchyard.catalog import (
    AuthScheme,
    Condition,
    Dialect,
    EvidenceRow,
    Layer,
    Platform,
    ProbeResult,
    Provider,
    SmokeRun,
    SmokeRunStatus,
    recommend,
)

from .conditions import condition, merge
from .providers import MANAGED_BY, MANAGED_BY_LABEL, dns_name

SMOKERUN_LABEL = "switchyard.dev/smokerun"
KEY_ENV = "SWITCHYARD_PROVIDER_KEY"
CALLER_ENV = "SWITCHYARD_CALLER_TOKEN"
CONTAINER = "probe"
TERMINATION_LOG = "/dev/termination-log"


@dataclass(frozen=True)
class JobSettings:
    image: str
    image_pull_policy: str = "IfNotPresent"
    ttl_seconds: int = 600
    cpu_request: str = "50m"
    cpu_limit: str = "500m"
    memory_request: str = "64Mi"
    memory_limit: str = "256Mi"
    run_as_user: int = 65532


@dataclass(frozen=True)
class ProbeTarget:
    """Where the probe points: a provider endpoint (direct) or the namespace's router."""

    base_url: str
    dialect: Dialect
    model: str | None = None  # upstream model id (direct)
    group: str | None = None  # ModelGroup (router)
    secret_name: str | None = None
    secret_key: str | None = None
    # The Provider's auth scheme and headers (not secret), so the probe's request is the router's
    auth_scheme: AuthScheme | None = None
    headers: tuple[tuple[str, str], ...] = ()
    platform: Platform = Platform.DIRECT  # Bedrock / Vertex AI: their paths and credentials
    region: str | None = None
    project: str | None = None
    pin: str | None = None  # router layer: the one target that must serve (operator runs)
    operator_token: bool = False  # the caller token is the operator's own (inline runs only)


def direct_target(provider: Provider, model: str) -> ProbeTarget:
    spec = provider.spec.model(model)
    if spec is None:
        raise ValueError(f"Provider {provider.name} has no model {model!r}")
    ref = (
        provider.spec.auth.secret_ref if provider.spec.auth.scheme is not AuthScheme.NONE else None
    )
    return ProbeTarget(
        base_url=provider.spec.base_url,
        dialect=provider.spec.dialect,
        model=spec.model,
        secret_name=ref.name if ref else None,
        secret_key=ref.key if ref else None,
        auth_scheme=provider.spec.auth.scheme,
        headers=tuple((h.name, h.value) for h in provider.spec.headers),
        platform=provider.spec.platform,
        region=provider.spec.region,
        project=provider.spec.project,
    )


def probe_args(run: SmokeRun, target: ProbeTarget) -> list[str]:
    """Arguments of `switchyard probe` for this run (never a secret: keys travel by env var)."""
    tasks = ",".join(t.value for t in run.spec.tasks)
    if run.spec.layer is Layer.ROUTER:
        args = ["--router", target.base_url, "--group", target.group or ""]
        if target.secret_name or target.operator_token:
            args += ["--caller-token-env", CALLER_ENV]
        if target.pin:
            args += ["--pin", target.pin]
        dialects = run.spec.dialects or [Dialect.OPENAI_CHAT]
        if len(dialects) == 1:
            args += ["--dialect", dialects[0].value]
        else:
            args += ["--dialects", ",".join(d.value for d in dialects)]
    else:
        args = ["--base-url", target.base_url, "--model", target.model or ""]
        args += ["--dialect", target.dialect.value]
        if target.secret_name:
            args += ["--api-key-env", KEY_ENV]
        if target.auth_scheme is not None:
            args += ["--auth-scheme", target.auth_scheme.value]
        for name, value in target.headers:
            args += ["--header", f"{name}: {value}"]
        if target.platform is not Platform.DIRECT:
            args += ["--platform", target.platform.value, "--region", target.region or ""]
            if target.project:
                args += ["--project", target.project]
    lp = run.spec.large_payload
    args += ["--tasks", tasks]
    args += ["--target-bytes", str(lp.target_bytes), "--tool-count", str(lp.tool_count)]
    args += ["--max-tokens", str(lp.max_tokens), "--output", "compact"]
    return args


def secret_env_name(run: SmokeRun) -> str:
    return CALLER_ENV if run.spec.layer is Layer.ROUTER else KEY_ENV


def job_name(run: SmokeRun) -> str:
    return dns_name(run.name, "probe")


def build_job(run: SmokeRun, target: ProbeTarget, settings: JobSettings) -> dict[str, Any]:
    """The batch/v1 Job manifest (owner reference added by the caller)."""
    labels = {SMOKERUN_LABEL: run.name, MANAGED_BY_LABEL: MANAGED_BY}
    env: list[dict[str, Any]] = []
    if target.secret_name and target.secret_key:
        env.append(
            {
                "name": secret_env_name(run),
                "valueFrom": {
                    "secretKeyRef": {"name": target.secret_name, "key": target.secret_key}
                },
            }
        )
    container = {
        "name": CONTAINER,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": ["switchyard", "probe"],
        # The evidence goes to the termination message, where the operator reads it back.
        "args": [*probe_args(run, target), "--output-file", TERMINATION_LOG],
        "env": env,
        "resources": {
            "requests": {"cpu": settings.cpu_request, "memory": settings.memory_request},
            "limits": {"cpu": settings.cpu_limit, "memory": settings.memory_limit},
        },
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "File",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(run), "namespace": run.metadata.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": run.spec.timeout_seconds,
            "ttlSecondsAfterFinished": settings.ttl_seconds,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": settings.run_as_user,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                },
            },
        },
    }


@dataclass(frozen=True)
class Outcome:
    """How the run ended: rows (possibly none) and the reason for the Complete condition."""

    rows: list[EvidenceRow]
    reason: str  # JobSucceeded | JobFailed | Timeout | ResultsUnreadable | InlineFinished
    message: str = ""


Decoder = Callable[[str], Sequence[EvidenceRow]]


def job_outcome(
    job: Mapping[str, Any] | None,
    pods: Sequence[Mapping[str, Any]],
    decode: Decoder,
) -> Outcome | None:
    """Read a finished pod's termination message, or the Job's failure; None while running."""
    for pod in pods:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if cs.get("name") != CONTAINER:
                continue
            terminated = (cs.get("state") or {}).get("terminated")
            if not terminated:
                continue
            code = terminated.get("exitCode")
            try:
                rows = list(decode(terminated.get("message") or ""))
            except ValueError:
                # Never copy the message: it may be a crash log, not evidence.
                return Outcome([], "ResultsUnreadable", f"probe exited {code}; no evidence")
            return Outcome(rows, "JobSucceeded" if code == 0 else "JobFailed", f"exit {code}")
    for cond in ((job or {}).get("status") or {}).get("conditions") or []:
        # FailureTarget comes first (pods still terminating), Failed once they are gone.
        if cond.get("type") in ("Failed", "FailureTarget") and cond.get("status") == "True":
            reason = cond.get("reason") or "JobFailed"
            if reason == "DeadlineExceeded":
                return Outcome([], "Timeout", "the Job passed its activeDeadlineSeconds")
            return Outcome([], "JobFailed", f"Job failed ({reason})")
    return None


def timed_out(run: SmokeRun, now: datetime, grace_seconds: int = 30) -> bool:
    """The operator's own deadline, so a Job nobody runs still ends as a failed condition."""
    started = run.status.started_at
    if started is None:
        return False
    return now - started > timedelta(seconds=run.spec.timeout_seconds + grace_seconds)


def started(
    run: SmokeRun, now: datetime, job: str | None, provider_generation: int | None
) -> SmokeRunStatus:
    status = run.status.model_copy(deep=True)
    status.started_at = status.started_at or now
    status.job_name = job
    status.provider_generation = provider_generation
    status.observed_generation = run.metadata.generation
    status.conditions = merge(
        status.conditions,
        [condition("Complete", False, "Running", "probes running", run.metadata.generation)],
        now,
    )
    return status


def finished(run: SmokeRun, outcome: Outcome, dialect: Dialect, now: datetime) -> SmokeRunStatus:
    """Results, `recommended` and the Complete/Succeeded conditions of a run that ended."""
    status = run.status.model_copy(deep=True)
    status.results = outcome.rows
    status.completed_at = now
    gen = run.metadata.generation
    model = run.spec.target.model or run.spec.target.model_group or ""
    if outcome.rows:
        rec = recommend(outcome.rows, dialect, run.name, model)
        status.recommended = rec.wire()
        spent = sum((r.input_tokens or 0) + (r.output_tokens or 0) for r in outcome.rows)
        status.tokens_spent = spent
    failed = [r for r in outcome.rows if r.result is ProbeResult.FAIL]
    if not outcome.rows:
        ok = condition("Succeeded", False, outcome.reason, outcome.message, gen)
    elif failed:
        names = ", ".join(sorted({r.task.value for r in failed}))
        ok = condition("Succeeded", False, "SomeTasksFailed", f"failed: {names}", gen)
    else:
        ok = condition("Succeeded", True, "AllTasksRan", f"{len(outcome.rows)} rows", gen)
    complete: Condition = condition("Complete", True, outcome.reason, outcome.message, gen)
    status.conditions = merge(status.conditions, [complete, ok], now)
    return status
