"""Provider handlers: parse, reconcile (pure service), create missing SmokeRuns, write status."""

from __future__ import annotations

import kopf
from pydantic import ValidationError

from switchyard.catalog import Provider, ProviderStatus, SmokeRun

from .. import providers as service
from ..context import Context
from ..kube import ConflictError
from ..view import CatalogView
from . import sweep
from .common import (
    body_generation,
    body_reconciler,
    level_triggered,
    note,
    now,
    reconciler,
    write_status,
)


def _refused(body: kopf.Body, patch: kopf.Patch, problems: list[str]) -> None:
    status = service.invalid_status(_status(body), problems, body_generation(body), now())
    write_status(patch, body, status.wire())


async def _secret(ctx: Context, namespace: str, name: str, key: str) -> service.SecretState:
    """What the key Secret holds now (names only), from a read that began after this call:
    the reconciles asking for the same Secret meanwhile share it (a burst of Providers on one
    key Secret costs a few GETs, not one each)."""

    async def read(_key: str, _items: object) -> tuple[frozenset[str] | None, str | None]:
        return await ctx.kube.secret_keys(namespace, name)

    keys, version = await ctx.secret_reads.submit(f"{namespace}/{name}", {}, read)
    return service.secret_state(dict.fromkeys(keys) if keys is not None else None, key, version)


async def _reconcile(
    ctx: Context, view: CatalogView, body: kopf.Body, patch: kopf.Patch, provider: Provider
) -> None:
    ns = body.metadata.namespace or ""
    runs = view.runs_for([provider.name])
    secret = None
    ref = provider.spec.auth.secret_ref
    if ref is not None:
        secret = await _secret(ctx, ns, ref.name, ref.key)
    plan = service.reconcile(provider, runs, secret, now(), ctx.settings.smoke_executor)
    for manifest in plan.smoke_runs:
        kopf.adopt(manifest, owner=body)
        try:
            await ctx.kube.create_custom(ns, SmokeRun.PLURAL, manifest)
        except ConflictError:
            continue
        ctx.metrics.smoke_runs_created.inc()
        why = manifest["metadata"]["annotations"][service.REASON_ANNOTATION]
        note(body, "SmokeRunCreated", f"{manifest['metadata']['name']} ({why})")
    write_status(patch, body, plan.status.wire())
    ctx.metrics.reconciles.labels("Provider", "ok").inc()
    ctx.metrics.record_evidence(ns, provider.name, plan.status.models)


def _status(body: kopf.Body) -> ProviderStatus:
    try:
        return ProviderStatus.model_validate(dict(body.get("status") or {}))
    except ValidationError:
        return ProviderStatus()


def register(registry: kopf.OperatorRegistry, interval: float) -> None:
    """On resume, create and spec update; the level reconciles from one sweep over every
    Provider, not a kopf timer each (no finalizer on Providers, no timer task per object)."""
    handler = reconciler(Provider, _reconcile, _refused)
    resource = level_triggered(registry, Provider, handler, interval, timer=None)
    sweep.register(registry, Provider, body_reconciler(Provider, _reconcile, _refused), interval)
    kopf.on.update(*resource, id="provider-update", field="spec", registry=registry)(handler)
