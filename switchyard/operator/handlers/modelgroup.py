"""ModelGroup handlers: promotion on a timer, the namespace's router, and cleanup on delete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import kopf

from switchyard.catalog import (
    RETRY_ANNOTATION,
    ConfirmationResult,
    ModelGroup,
    ModelGroupStatus,
    Provider,
    RollbackConfirmation,
    SmokeRun,
    Stage,
    Strategy,
    TargetStatus,
)
from switchyard.render import apply_evidence

from .. import confirm, routerproof
from ..conditions import merge
from ..context import Context
from ..gates import Measurement, PodSnapshots, TargetKey, delta
from ..kube import ConflictError
from ..operatortoken import SELECTOR, namespace_token, ready_router_url
from ..promotion import Decision, Inputs, decide, group_conditions
from ..rollout import Action
from ..view import CatalogView
from .common import (
    body_generation,
    context,
    invalid_spec,
    level_triggered,
    note,
    now,
    reconciler,
    write_status,
)
from .router import sync_namespace


def _gated(group: ModelGroup) -> bool:
    """Only open, weighted groups are promoted by live traffic."""
    return not group.spec.access.restricted and group.spec.strategy is Strategy.WEIGHTED


async def _scrape(ctx: Context, group: ModelGroup) -> PodSnapshots | None:
    stages = {t.stage for t in group.status.targets}
    if not _gated(group) or not stages & {Stage.SMOKE_ONLY, Stage.LIMITED, Stage.ACTIVE}:
        return None
    pods = await ctx.kube.pods(group.metadata.namespace or "", SELECTOR)
    return await ctx.poller.scrape_all(pods)


def _measurement(
    ctx: Context, group: ModelGroup, current: TargetStatus | None, snap: PodSnapshots | None
) -> Measurement | None:
    """The window since the target's lastStepTime, when a baseline for that window exists."""
    if current is None or snap is None:
        return None
    key = (group.metadata.namespace or "", group.name, current.key)
    baseline = ctx.baselines.get(key)
    if baseline is None or baseline[0] != current.last_step_time:
        ctx.baselines[key] = (current.last_step_time, snap)  # start measuring from now
        return None
    counters = delta(baseline[1], snap).get(TargetKey(group.name, current.provider, current.model))
    if counters is None:
        return Measurement(0, 0, 0, 0, None)
    return Measurement.from_counters(counters)


async def _reconcile(
    ctx: Context, view: CatalogView, body: kopf.Body, patch: kopf.Patch, group: ModelGroup
) -> None:
    ns = body.metadata.namespace or ""
    generation = body_generation(body)
    # only this group's Providers and their evidence: the rest of the namespace is the render's
    names = {t.provider for t in group.spec.targets}
    providers = list((await view.resolve(ctx.kube, Provider, names)).values())
    resolved = {p.name: p for p in apply_evidence(providers, view.runs_for(names))}
    snap = await _scrape(ctx, group)
    t = now()
    retry = group.metadata.annotations.get(RETRY_ANNOTATION)
    targets: list[TargetStatus] = []
    for target in group.spec.targets:
        provider = resolved.get(target.provider)
        current = group.status.target(target.provider, target.model)
        decision: Decision = decide(
            Inputs(
                spec=group.spec,
                generation=generation,
                target=target,
                current=current,
                evidence=provider.status.model(target.model) if provider else None,
                provider_model=provider.spec.model(target.model) if provider else None,
                measurement=_measurement(ctx, group, current, snap),
                now=t,
                retry=retry,
                eligibility_skin=_eligibility(provider, target.model),
            )
        )
        if decision.window_reset and snap is not None:
            key = (ns, group.name, decision.status.key)
            ctx.baselines[key] = (decision.status.last_step_time, snap)
        for event in decision.events:
            kopf.event(body, type=event.type, reason=event.reason, message=event.message)
            ctx.metrics.promotion_steps.labels(event.reason).inc()
        targets.append(decision.status)
    updated = group.model_copy(
        update={"status": group.status.model_copy(update={"targets": targets})}
    )
    report = await sync_namespace(ctx, view, override=updated)
    failure = report.failure_for(group.name) if report else None
    failed_revision = (
        report.failed_revision
        if report is not None and failure is not None and failure[0] == "RouterRolloutFailed"
        else None
    )
    found = confirm.trigger(group.status.targets, targets, failed_revision)
    confirmation = confirm.pending(group.status.confirmation, found, t)
    if report is not None and report.action in (Action.STEADY, Action.HOLD):
        existing = view.names(SmokeRun)
        for manifest in routerproof.plan(group, resolved, existing):
            await _create_run(ctx, body, manifest)
    if confirm.due(confirmation, report.action if report else None):
        assert confirmation is not None
        confirmation = await _confirm(ctx, body, group, targets, providers, confirmation)
    updates = group_conditions(targets, generation, failure)
    if confirmation is not None:
        updates.append(confirm.confirmed_condition(confirmation, generation))
    status = ModelGroupStatus(
        observed_generation=generation,
        targets=targets,
        router_revision=report.serving if report else None,
        confirmation=confirmation,
        conditions=merge(group.status.conditions, updates, t),
    )
    write_status(patch, body, status.wire())
    ctx.metrics.reconciles.labels("ModelGroup", "ok").inc()
    ctx.metrics.record_group(ns, group.name, targets)


async def _create_run(ctx: Context, body: kopf.Body, manifest: dict[str, Any]) -> None:
    """Create one operator SmokeRun owned by the group (an existing one is left alone)."""
    kopf.adopt(manifest, owner=body)
    try:
        await ctx.kube.create_custom(body.metadata.namespace or "", SmokeRun.PLURAL, manifest)
    except ConflictError:
        return
    ctx.metrics.smoke_runs_created.inc()
    spec = manifest["spec"]
    message = f"{manifest['metadata']['name']}: {', '.join(spec['tasks'])} through the router "
    note(body, "RouterProofStarted", message + f"for {spec['target']['pin']}")


async def _confirm(
    ctx: Context,
    body: kopf.Body,
    group: ModelGroup,
    targets: list[TargetStatus],
    providers: Sequence[Provider],
    confirmation: RollbackConfirmation,
) -> RollbackConfirmation:
    """Send the confirmation request through a ready router pod and judge its answer."""
    ns = group.metadata.namespace or ""
    url = await ready_router_url(ctx, ns)
    if url is None:
        return confirmation  # no ready pod yet: stays pending, the next reconcile tries again
    dialect = confirm.dialect_for(targets, {p.name: p.spec.dialect for p in providers})
    token = namespace_token(ctx.confirm_key, ns)
    served_by, failure = await confirm.send(
        url, group.name, dialect, token, ctx.settings.http_timeout_seconds * 6
    )
    excluded = [t.key for t in targets if t.stage is Stage.ROLLED_BACK]
    judged = confirm.judge(confirmation, served_by, failure, excluded, now())
    ctx.metrics.confirmations.labels(judged.result.value).inc()
    reason = (
        "RollbackConfirmed"
        if judged.result is ConfirmationResult.SERVED
        else ("RollbackUnconfirmed")
    )
    message = confirm.confirmed_condition(judged, 0).message
    kind = "Normal" if judged.result is ConfirmationResult.SERVED else "Warning"
    kopf.event(body, type=kind, reason=reason, message=message)
    return judged


def _eligibility(provider: Provider | None, model: str) -> str | None:
    if provider is None:
        return None
    return f"native:{provider.spec.dialect.value}" if provider.spec.model(model) else None


async def deleted(body: kopf.Body, memo: kopf.Memo, **kwargs: Any) -> None:
    """Re-render without this group (the router stops serving it); with no group left, remove
    the router objects. The garbage collector would too, through the owner references."""
    ctx = context(memo)
    ns = body.metadata.namespace or ""
    await sync_namespace(ctx, CatalogView.of(ns, kwargs))
    ctx.metrics.forget_group(ns, body.metadata.name or "")
    for key in [k for k in ctx.baselines if k[0] == ns and k[1] == body.metadata.name]:
        del ctx.baselines[key]


def register(registry: kopf.OperatorRegistry, interval: float) -> None:
    handler = reconciler(ModelGroup, _reconcile, invalid_spec)
    resource = level_triggered(registry, ModelGroup, handler, interval)
    kopf.on.update(*resource, id="modelgroup-update", registry=registry)(handler)
    kopf.on.delete(*resource, id="modelgroup-delete", registry=registry)(deleted)
