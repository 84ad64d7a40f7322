"""The namespace's router: render, roll out, watch readiness, restore the last good revision.

Called from the ModelGroup handlers: each group's reconcile syncs its namespace, and the
reconciles that ask while a sync runs share the next one (context.syncs), rendered with all
their groups' new status. The catalog comes from the watch-fed view, and a render is reused
while the catalog it was made from has not changed. The state of a rollout lives in ConfigMap
annotations, so an operator restart picks it up where it was.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import kopf

from switchyard.catalog import CatalogError, ModelGroup, Provider, RouterConfig, SmokeRun
from switchyard.render import RenderOptions, render

from .. import rollout, routerres
from ..context import Context
from ..operatortoken import SELECTOR, namespace_token, token_digest
from ..rollout import Action, LiveState
from ..routerres import (
    APPLIED_AT_ANNOTATION,
    FAILED_ANNOTATION,
    FAILED_GROUPS_ANNOTATION,
    FAILED_REASON_ANNOTATION,
    LAST_GOOD,
    NAME,
    REVISION_ANNOTATION,
    TEMPLATE_KEY,
)
from ..view import CatalogView
from .common import now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouterReport:
    """What a group's status needs to know about the namespace's router."""

    serving: str | None  # the revision the router serves (last good, else the live one)
    desired: str | None
    # group -> (reason, message) for groups the router does not serve as declared
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    action: Action | None = None
    failed_revision: str | None = None  # the revision whose rollout failed (failures name why)

    def failure_for(self, group: str) -> tuple[str, str] | None:
        return self.failures.get(group)


def _render(
    options: RenderOptions, providers: Sequence[Any], groups: list[ModelGroup], runs: Sequence[Any]
) -> tuple[RouterConfig | None, dict[str, tuple[str, str]]]:
    """Render the namespace; a group that cannot render (a missing Provider or model) is left
    out with its reason, so one broken group never holds back the others."""
    try:
        return render(providers, groups, runs, options), {}
    except CatalogError as exc:
        bad = {
            g.name: ("RenderFailed", "; ".join(p for p in exc.problems if p.startswith(g.ref())))
            for g in groups
            if any(p.startswith(g.ref()) for p in exc.problems)
        }
        rest = [g for g in groups if g.name not in bad]
        if not bad or not rest:
            return None, bad or {g.name: ("RenderFailed", str(exc)) for g in groups}
        try:
            return render(providers, rest, runs, options), bad
        except CatalogError as again:
            return None, {g.name: ("RenderFailed", str(again)) for g in groups}


def _annotations(obj: Mapping[str, Any] | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("annotations") or {})


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _owned(obj: dict[str, Any], owners: list[dict[str, Any]]) -> dict[str, Any]:
    obj["metadata"]["ownerReferences"] = owners
    return obj


async def sync_namespace(
    ctx: Context, view: CatalogView, override: ModelGroup | None = None
) -> RouterReport | None:
    """Bring the namespace's router objects to the catalog; None when no ModelGroup is left.
    `override` is the caller's group with the status it is about to write; the result comes
    from a sync that began after this call and rendered it."""
    items = {override.name: override} if override is not None else {}
    report: RouterReport | None = await ctx.syncs.submit(
        view.namespace, items, functools.partial(_sync_batch, ctx, view)
    )
    return report


async def _sync_batch(
    ctx: Context, view: CatalogView, ns: str, overrides: dict[str, ModelGroup]
) -> RouterReport | None:
    groups = [overrides.get(g.name, g) for g in view.all(ModelGroup)]
    if not groups:
        await ctx.kube.delete_router(ns, (NAME, LAST_GOOD))
        return None
    providers = {p.name: p for p in view.all(Provider)}
    wanted = {t.provider for g in groups for t in g.spec.targets} - set(providers)
    fetched = await view.resolve(ctx.kube, Provider, wanted)  # not in the view yet?
    providers |= fetched
    version = _catalog_version(view, overrides, fetched.values())
    return await _sync(ctx, ns, list(providers.values()), groups, view.all(SmokeRun), version)


def _catalog_version(
    view: CatalogView, overrides: dict[str, ModelGroup], fetched: Iterable[Provider]
) -> Any:
    """What a render of the view with these overrides depends on: every object's version, each
    override that differs from the group the view holds, and the Providers read from the API
    because the view did not hold them yet."""
    held = {g.name: g for g in view.all(ModelGroup)}
    changed = tuple(
        (name, group.model_dump_json())
        for name, group in sorted(overrides.items())
        if group != held.get(name)
    )
    extra = tuple(sorted(p.model_dump_json() for p in fetched))
    return view.fingerprint(), changed, extra


async def _sync(
    ctx: Context,
    ns: str,
    providers: Sequence[Provider],
    groups: list[ModelGroup],
    runs: Sequence[SmokeRun],
    version: Any = None,
) -> RouterReport:
    """`version`: what the catalog given depends on (see _catalog_version); the last render
    of the namespace is reused while it is the same. None: render anew."""
    s = ctx.settings
    # annotations only: the configs (about 1 MB each at a thousand Providers) are read when a
    # promotion or a rollback needs them
    live = await ctx.kube.config_map_metadata(ns, NAME)
    good = await ctx.kube.config_map_metadata(ns, LAST_GOOD)
    live_ann = _annotations(live)
    state = LiveState(
        revision=live_ann.get(REVISION_ANNOTATION),
        applied_at=_time(live_ann.get(APPLIED_AT_ANNOTATION)),
        failed_revision=live_ann.get(FAILED_ANNOTATION),
        last_good_revision=_annotations(good).get(REVISION_ANNOTATION),
    )
    digest = token_digest(namespace_token(ctx.confirm_key, ns))
    options = RenderOptions(
        namespace=ns,
        settings=ctx.settings.router_settings().model_copy(
            update={"operator_token_digest": digest}
        ),
        replicas=ctx.settings.router_replicas,
        workers=ctx.settings.router_workers,
    )
    last = ctx.renders.get(ns)
    if version is not None and last is not None and last[0] == (version, options):
        config, render_failures = last[1]
    else:
        config, render_failures = _render(options, providers, groups, runs)
        ctx.renders[ns] = ((version, options), (config, render_failures))
    render_failures = dict(render_failures)  # the report below adds to its own copy
    if config is None:
        serving = state.last_good_revision or state.revision
        return RouterReport(serving, None, render_failures)
    pods = [
        p for p in await ctx.kube.pods(ns, SELECTOR) if not p["metadata"].get("deletionTimestamp")
    ]
    reports = await ctx.poller.reports(pods)
    t = now()
    step = rollout.decide(
        config.revision,
        state,
        reports,
        s.router_replicas,
        t,
        timedelta(seconds=s.rollout_deadline_seconds),
    )
    owners = routerres.owner_references(groups)
    secrets = routerres.needed_secrets(providers, groups)
    rsettings = routerres.RouterSettings(
        image=s.image,
        image_pull_policy=s.image_pull_policy,
        replicas=s.router_replicas,
        workers=s.router_workers,
    )
    ctx.metrics.rollouts.labels(step.action.value).inc()
    log.info("router %s: %s (%s)", ns, step.action.value, step.message)
    if step.action is Action.APPLY:
        payload = routerres.config_payload(config.to_json(), s.config_compress_above)
        if too_large := _too_large(ns, payload, groups):  # keep serving what runs
            return RouterReport(state.revision, None, {**render_failures, **too_large})
        if step.promote_live:
            await _promote(ctx, ns, owners)
        cm = routerres.config_map(config, ns, t.isoformat(), payload)
        if state.failed_revision:  # remember what failed, so it is not retried in a loop
            cm["metadata"]["annotations"].update(
                {k: v for k, v in live_ann.items() if k.startswith("switchyard.dev/failed")}
            )
        await ctx.kube.put_config_map(_owned(cm, owners))
        # The pods hot-reload the ConfigMap; the template (and so the pods) changes only when
        # what they mount or run does.
        template = routerres.pod_template(secrets, rsettings)
        current = await ctx.kube.get_deployment(ns, NAME)
        if current is None or not routerres.same_template(
            (current.get("spec") or {}).get("template"), template
        ):
            await ctx.kube.put_deployment(
                _owned(routerres.deployment(ns, template, s.router_replicas), owners)
            )
    elif step.action is Action.PROMOTE:
        await _promote(ctx, ns, owners)
    elif step.action is Action.ROLLBACK:
        await _rollback(ctx, ns, config, owners, step.message, groups)
    elif await ctx.kube.get_deployment(ns, NAME) is None:
        template = routerres.pod_template(secrets, rsettings)
        await ctx.kube.put_deployment(
            _owned(routerres.deployment(ns, template, s.router_replicas), owners)
        )
    await ctx.kube.put_service(_owned(routerres.service(ns), owners))
    report = await _report(ctx, ns, config.revision, step.action)
    report.failures.update(render_failures)
    return report


def _too_large(
    ns: str, payload: routerres.Payload, groups: list[ModelGroup]
) -> dict[str, tuple[str, str]]:
    """Every group's failure when the API server would refuse the config ({} if it fits)."""
    size = routerres.stored_bytes(payload)
    if size <= routerres.CONFIG_LIMIT:
        return {}
    message = (
        f"the rendered router config is {size} bytes as stored, over the "
        f"{routerres.CONFIG_LIMIT} a ConfigMap can hold beside its template; split the "
        "catalog over more namespaces"
    )
    log.warning("router %s: %s", ns, message)
    return {g.name: ("ConfigTooLarge", message) for g in groups}


async def _promote(ctx: Context, ns: str, owners: list[dict[str, Any]]) -> None:
    live = await ctx.kube.get_config_map(ns, NAME) or {}
    revision = _annotations(live).get(REVISION_ANNOTATION, "")
    deployment = await ctx.kube.get_deployment(ns, NAME) or {}
    template = (deployment.get("spec") or {}).get("template") or {}
    payload = routerres.payload_of(live)  # copied as stored, plain or packed
    await ctx.kube.put_config_map(
        _owned(routerres.last_good_map(ns, revision, payload, template), owners)
    )
    cleared: dict[str, Any] = {
        FAILED_ANNOTATION: None,
        FAILED_GROUPS_ANNOTATION: None,
        FAILED_REASON_ANNOTATION: None,
    }
    await ctx.kube.patch_config_map(ns, NAME, {"metadata": {"annotations": cleared}})


async def _rollback(
    ctx: Context,
    ns: str,
    config: RouterConfig,
    owners: list[dict[str, Any]],
    message: str,
    groups: list[ModelGroup],
) -> None:
    good = await ctx.kube.get_config_map(ns, LAST_GOOD)
    good_json = routerres.config_json_of(good)
    affected = routerres.affected_groups(config.to_json(), good_json)
    failed = {
        FAILED_ANNOTATION: config.revision,
        FAILED_GROUPS_ANNOTATION: ",".join(affected),
        FAILED_REASON_ANNOTATION: message[:1024],
    }
    if good is not None and good_json:
        good_rev = _annotations(good).get(REVISION_ANNOTATION, "")
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": NAME,
                "namespace": ns,
                "labels": dict(routerres.COMPONENT_LABELS),
                "annotations": {
                    REVISION_ANNOTATION: good_rev,
                    APPLIED_AT_ANNOTATION: now().isoformat(),
                    **failed,
                },
            },
            **routerres.payload_of(good),
        }
        await ctx.kube.put_config_map(_owned(cm, owners))
        template = json.loads((good.get("data") or {}).get(TEMPLATE_KEY) or "{}")
        deployment = await ctx.kube.get_deployment(ns, NAME)
        if (
            template
            and deployment
            and not routerres.same_template(deployment["spec"].get("template"), template)
        ):
            body = routerres.deployment(ns, template, ctx.settings.router_replicas)
            await ctx.kube.put_deployment(_owned(body, owners))
    else:
        await ctx.kube.patch_config_map(ns, NAME, {"metadata": {"annotations": failed}})
    ctx.metrics.rollbacks.inc()
    for g in groups:
        if g.name in affected:
            raw: Any = {
                "apiVersion": g.api_version,
                "kind": "ModelGroup",
                "metadata": {"name": g.name, "namespace": ns, "uid": g.metadata.uid},
            }
            kopf.warn(
                kopf.Body(raw),
                reason="RouterRolledBack",
                message=message,
            )


async def _report(ctx: Context, ns: str, desired: str, action: Action) -> RouterReport:
    live_ann = _annotations(await ctx.kube.config_map_metadata(ns, NAME))
    good_meta = await ctx.kube.config_map_metadata(ns, LAST_GOOD)
    good_rev = _annotations(good_meta).get(REVISION_ANNOTATION)
    failed = live_ann.get(FAILED_ANNOTATION)
    groups = [g for g in (live_ann.get(FAILED_GROUPS_ANNOTATION) or "").split(",") if g]
    reason = live_ann.get(FAILED_REASON_ANNOTATION, "")
    failures = {g: ("RouterRolloutFailed", reason) for g in groups} if failed else {}
    return RouterReport(
        serving=good_rev or live_ann.get(REVISION_ANNOTATION),
        desired=desired,
        failures=failures,
        action=action,
        failed_revision=failed if failures else None,
    )
