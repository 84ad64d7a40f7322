"""Shared by the handlers: the context from kopf's memo, the catalog view, status writes, time."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import kopf
from pydantic import ValidationError

from switchyard.catalog import Resource
from switchyard.catalog.manifests import describe

from ..bodies import parse, plain
from ..conditions import condition, merge
from ..context import Context
from ..view import CatalogView

R = TypeVar("R", bound=Resource)
Handler = Callable[..., Awaitable[None]]
Reconcile = Callable[[Context, CatalogView, kopf.Body, kopf.Patch, R], Awaitable[None]]
Refused = Callable[[kopf.Body, kopf.Patch, list[str]], None]
log = logging.getLogger("switchyard.operator")


def counted(kind: str, handler: Handler) -> Handler:
    """`handler`, counting the reconciles that raise (kopf logs and retries those)."""

    @functools.wraps(handler)
    async def run(**kwargs: Any) -> None:
        try:
            await handler(**kwargs)
        except Exception:
            memo = kwargs.get("memo")
            if memo is not None and "ctx" in memo:
                context(memo).metrics.reconcile_errors.labels(kind).inc()
            raise

    return run


BodyReconcile = Callable[[Context, CatalogView, kopf.Body, kopf.Patch], Awaitable[None]]


def lock_key(cls: type[Resource], namespace: str, name: str) -> str:
    """The key of an object's lock: its reconciles (kopf's handlers, the sweep) never interleave."""
    return f"{cls.KIND.lower()}/{namespace}/{name}"


def body_reconciler(cls: type[R], reconcile: Reconcile[R], refused: Refused) -> BodyReconcile:
    """Parse the body and `reconcile` it with its namespace's catalog view. A body the model
    refuses is never reconciled: `refused` writes its status from the problems, and it is
    counted as invalid. The caller holds the object's lock."""
    kind = cls.KIND

    async def run(ctx: Context, view: CatalogView, body: kopf.Body, patch: kopf.Patch) -> None:
        try:
            obj = parse(cls, body)
        except ValidationError as err:
            refused(body, patch, describe(kind, plain(body), err))
            ctx.metrics.reconciles.labels(kind, "invalid").inc()
            return
        await reconcile(ctx, view, body, patch, obj)

    return run


def reconciler(cls: type[R], reconcile: Reconcile[R], refused: Refused) -> Handler:
    """The kopf handler of a kind: under the object's lock, the body reconciled with its
    namespace's catalog view (kopf's indices, from the handler's kwargs). Raising reconciles
    are counted."""
    run = body_reconciler(cls, reconcile, refused)

    async def handler(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kwargs: Any) -> None:
        ctx = context(memo)
        ns = body.metadata.namespace or ""
        async with ctx.lock(lock_key(cls, ns, body.metadata.name or "")):
            await run(ctx, CatalogView.of(ns, kwargs), body, patch)

    return counted(cls.KIND, handler)


def level_triggered(
    registry: kopf.OperatorRegistry,
    cls: type[Resource],
    handler: Handler,
    interval: float,
    timer: str | None = "level",
    when: Callable[..., bool] | None = None,
) -> tuple[str, str, str]:
    """Register `handler` where every kind is reconciled: on resume, on create and on a timer
    every `interval` (level-based: a missed event is caught up), with the handler ids
    `<kind>-resume`, `<kind>-create` and `<kind>-<timer>` (kopf records progress by id).
    `when` limits all three to the objects it accepts: kopf is blind to the others (no handler
    run, and none of its bookkeeping PATCHed into their status). `timer` None: no kopf timer
    (the caller sweeps the kind instead, handlers.sweep). Returns the resource for the kind's
    other handlers."""
    resource = (cls.GROUP, cls.VERSION, cls.PLURAL)
    prefix = cls.KIND.lower()
    kopf.on.resume(*resource, id=f"{prefix}-resume", when=when, registry=registry)(handler)
    kopf.on.create(*resource, id=f"{prefix}-create", when=when, registry=registry)(handler)
    if timer is None:
        return resource
    kopf.timer(
        *resource,
        id=f"{prefix}-{timer}",
        interval=interval,
        initial_delay=interval,
        when=when,
        registry=registry,
    )(handler)
    return resource


def invalid_spec(body: kopf.Body, patch: kopf.Patch, problems: list[str]) -> None:
    """Status of a refused body whose kind has no other: Ready False, InvalidSpec."""
    message = "; ".join(problems)[:1024]
    bad = condition("Ready", False, "InvalidSpec", message, body_generation(body))
    patch.status["conditions"] = [c.wire() for c in merge([], [bad], now())]


def body_generation(body: kopf.Body) -> int:
    return int(body.metadata.get("generation") or 0)


def context(memo: kopf.Memo) -> Context:
    ctx: Context = memo["ctx"]
    return ctx


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def write_status(patch: kopf.Patch, body: kopf.Body, status: Mapping[str, Any]) -> None:
    """Patch only the status fields that change: a reconcile that finds everything as it was
    sends no PATCH (a level timer over a thousand objects would send a thousand)."""
    current = body.get("status") or {}
    for key, value in status.items():
        if current.get(key) != value:
            patch.status[key] = value


def note(body: kopf.Body, reason: str, message: str) -> None:
    """A routine step (a SmokeRun or Job created) for the operator's log, not an Event: Events
    are kept for outcomes, and a thousand-Provider burst would otherwise post a thousand."""
    meta = body.metadata
    log.info("%s %s/%s: %s: %s", body.get("kind"), meta.namespace, meta.name, reason, message)
