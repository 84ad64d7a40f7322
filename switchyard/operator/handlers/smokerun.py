"""SmokeRun handlers: start the run (a Job, or inline), then read its outcome into status."""

from __future__ import annotations

import contextlib
from typing import Any

import kopf

from switchyard.catalog import (
    Dialect,
    Executor,
    Layer,
    ModelGroup,
    Provider,
    SmokeRun,
    SmokeRunStatus,
)
from switchyard.smoke import decode_compact

from .. import smokejobs
from ..context import Context
from ..inline import run_probe
from ..kube import ConflictError
from ..operatortoken import namespace_token, ready_router_url
from ..routerres import NAME as ROUTER_NAME
from ..routerres import PORT as ROUTER_PORT
from ..smokejobs import JobSettings, Outcome, ProbeTarget
from ..view import CatalogView
from .common import invalid_spec, level_triggered, note, now, reconciler, write_status


def _rows(text: str) -> list[Any]:
    return list(decode_compact(text).rows)


async def _target(
    ctx: Context, view: CatalogView, run: SmokeRun
) -> tuple[ProbeTarget, Dialect, int | None]:
    """Where to probe, which skin the evidence is for, and the Provider generation tested."""
    ns = run.metadata.namespace or ""
    if run.spec.layer is Layer.DIRECT:
        name = run.spec.target.provider or ""
        provider = (await view.resolve(ctx.kube, Provider, [name])).get(name)
        if provider is None:
            raise LookupError(f"Provider {run.spec.target.provider!r} not found")
        target = smokejobs.direct_target(provider, run.spec.target.model or "")
        return target, provider.spec.dialect, provider.metadata.generation
    name = run.spec.target.model_group or ""
    group = (await view.resolve(ctx.kube, ModelGroup, [name])).get(name)
    if group is None:
        raise LookupError(f"ModelGroup {run.spec.target.model_group!r} not found")
    dialect = (run.spec.dialects or [Dialect.OPENAI_CHAT])[0]
    if run.spec.target.pin is not None:  # router-level proof: a ready pod, the operator's token
        url = await ready_router_url(ctx, ns)
        if url is None:
            raise LookupError("no router pod is ready")
        pinned = ProbeTarget(
            url, dialect, group=group.name, pin=run.spec.target.pin, operator_token=True
        )
        return pinned, dialect, None
    secret_name = secret_key = None
    ref = group.spec.access.caller_secret_ref
    if ref is not None:
        data = await ctx.kube.secret(ns, ref.name) or {}
        secret_name, secret_key = ref.name, (sorted(data)[0] if data else None)
    url = f"http://{ROUTER_NAME}.{ns}.svc:{ROUTER_PORT}"
    target = ProbeTarget(
        url, dialect, group=group.name, secret_name=secret_name, secret_key=secret_key
    )
    return target, dialect, None


def _job_settings(ctx: Context) -> JobSettings:
    s = ctx.settings
    return JobSettings(
        image=s.image, image_pull_policy=s.image_pull_policy, ttl_seconds=s.job_ttl_seconds
    )


async def _start(ctx: Context, view: CatalogView, body: kopf.Body, run: SmokeRun) -> SmokeRunStatus:
    ns = run.metadata.namespace or ""
    try:
        target, dialect, generation = await _target(ctx, view, run)
    except (LookupError, ValueError) as exc:
        return smokejobs.finished(
            run, Outcome([], "TargetNotFound", str(exc)), Dialect.OPENAI_CHAT, now()
        )
    if run.spec.executor is Executor.INLINE:
        secret = None
        if target.operator_token:
            secret = namespace_token(ctx.confirm_key, ns)
        elif target.secret_name and target.secret_key:
            secret = (await ctx.kube.secret(ns, target.secret_name) or {}).get(target.secret_key)
        running = run.model_copy(update={"status": smokejobs.started(run, now(), None, generation)})
        outcome = await run_probe(
            smokejobs.probe_args(run, target),
            smokejobs.secret_env_name(run) if secret is not None else None,
            secret,
            float(run.spec.timeout_seconds),
        )
        return smokejobs.finished(running, outcome, dialect, now())
    job = smokejobs.build_job(run, target, _job_settings(ctx))
    kopf.adopt(job, owner=body)
    # ConflictError: created by an earlier attempt whose status write was lost.
    with contextlib.suppress(ConflictError):
        await ctx.kube.create_job(ns, job)
    note(body, "JobCreated", job["metadata"]["name"])
    return smokejobs.started(run, now(), job["metadata"]["name"], generation)


async def _poll(ctx: Context, view: CatalogView, run: SmokeRun) -> SmokeRunStatus | None:
    ns = run.metadata.namespace or ""
    job_name = run.status.job_name or smokejobs.job_name(run)
    job = await ctx.kube.get_job(ns, job_name)
    pods = await ctx.kube.pods(ns, f"job-name={job_name}")
    outcome = smokejobs.job_outcome(job, pods, _rows)
    if outcome is None and smokejobs.timed_out(run, now()):
        outcome = Outcome([], "Timeout", f"no result within {run.spec.timeout_seconds}s")
    if outcome is None:
        return None
    try:
        _, dialect, _ = await _target(ctx, view, run)
    except (LookupError, ValueError):
        dialect = outcome.rows[0].dialect if outcome.rows else Dialect.OPENAI_CHAT
    return smokejobs.finished(run, outcome, dialect, now())


async def _reconcile(
    ctx: Context, view: CatalogView, body: kopf.Body, patch: kopf.Patch, run: SmokeRun
) -> None:
    ns = body.metadata.namespace or ""
    if run.status.completed() or run.spec.executor is Executor.EXTERNAL:
        return  # external evidence is written by whoever gathered it, never by us
    if run.status.started_at is None:
        status: SmokeRunStatus | None = await _start(ctx, view, body, run)
    else:
        status = await _poll(ctx, view, run)
    if status is None:
        return
    write_status(patch, body, status.wire())
    ctx.metrics.reconciles.labels("SmokeRun", "ok").inc()
    if status.completed():
        complete = next(c for c in status.conditions if c.type == "Complete")
        ctx.metrics.smoke_runs.labels(complete.reason).inc()
        ok = next((c for c in status.conditions if c.type == "Succeeded"), None)
        passed = ok is not None and ok.status.value == "True"
        outcome = "succeeded" if passed else "failed"
        ctx.metrics.smoke_outcomes.labels(ns, outcome).inc()
        kind = "Normal" if ok and ok.status.value == "True" else "Warning"
        kopf.event(body, type=kind, reason=complete.reason, message=ok.message if ok else "")


def _polled(body: kopf.Body, **_: Any) -> bool:
    """The runs the handlers serve: not completed, not external. Every other SmokeRun has
    nothing to start or poll (the reconcile returns at once): a timer for each cost a handler
    run per SmokeRun every poll interval (1,000 completed runs: 100 do-nothing runs a second),
    and a create handler for each a PATCH of kopf's bookkeeping and one more watch event."""
    if (body.get("spec") or {}).get("executor") == Executor.EXTERNAL.value:
        return False
    conditions = (body.get("status") or {}).get("conditions") or []
    return not any(c.get("type") == "Complete" and c.get("status") == "True" for c in conditions)


def register(registry: kopf.OperatorRegistry, interval: float) -> None:
    # the CRD refuses most invalid specs; what gets through is reported, never run
    handler = reconciler(SmokeRun, _reconcile, invalid_spec)
    level_triggered(registry, SmokeRun, handler, interval, timer="poll", when=_polled)
