"""Level reconciles of a whole kind from one task, instead of a kopf timer per object.

A kopf timer needs kopf's finalizer on every object it serves (one more PATCH and one more watch
event per new object, and no deletion while the operator is away), a task per object, and
kopf's handler machinery on every tick: for 1,000 Providers that was 1,000 more PATCHes in a
burst, and timers of the first Providers firing in the middle of it. The sweep walks the kind's
index every `interval` and reconciles each object as its kopf handlers do, from the body the
watch delivered last (read under the object's lock, so never older than a handler's), then
PATCHes the status fields that changed. It stays level-based: what an event missed, the next
sweep catches up.

Events: the sweep runs outside kopf's per-object context, where `kopf.event` has no queue to
post to. The Provider reconcile posts none (its SmokeRunCreated is a log line, common.note); a
kind whose reconcile posts events needs them posted another way before it is swept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import kopf

from switchyard.catalog import Resource

from ..kube import NotFoundError
from ..view import INDEX, CatalogView
from .common import BodyReconcile, context, lock_key

log = logging.getLogger(__name__)
CONCURRENCY = 16  # reconciles of one sweep at a time (those asking for one Secret share a read)


async def sweep_once(
    memo: kopf.Memo, indices: Mapping[str, Any], cls: type[Resource], run: BodyReconcile
) -> int:
    """Reconcile every object of the kind the indices hold once; returns how many."""
    ctx = context(memo)
    gate = asyncio.Semaphore(CONCURRENCY)
    done = 0

    async def one(view: CatalogView, name: str) -> None:
        nonlocal done
        async with gate, ctx.lock(lock_key(cls, view.namespace, name)):
            item = view.entry(cls, name)  # the newest body, now that the lock is ours
            if item is None or item.body is None:
                return  # deleted or being deleted meanwhile
            raw: Any = item.body  # a kopf Body from the index handler (a dict in unit tests)
            body = raw if isinstance(raw, kopf.Body) else kopf.Body(raw)
            patch = kopf.Patch()
            try:
                await run(ctx, view, body, patch)
                status = patch.get("status")
                if status:
                    with contextlib.suppress(NotFoundError):  # deleted meanwhile
                        await ctx.kube.patch_custom_status(
                            view.namespace, cls.PLURAL, name, dict(status)
                        )
            except Exception:
                ctx.metrics.reconcile_errors.labels(cls.KIND).inc()
                log.exception("%s %s/%s: level reconcile failed", cls.KIND, view.namespace, name)
            done += 1

    views = [CatalogView.of(ns, indices) for ns in namespaces(indices, cls)]
    await asyncio.gather(*(one(v, e.name) for v in views for e in v.entries(cls)))
    return done


def namespaces(indices: Mapping[str, Any], cls: type[Resource]) -> list[str]:
    """The namespaces holding objects of the kind (the index keys each by its namespace)."""
    return sorted(k for k in indices[INDEX[cls]] if isinstance(k, str))


async def sweep_forever(
    memo: kopf.Memo,
    indices: Mapping[str, Any],
    cls: type[Resource],
    run: BodyReconcile,
    interval: float,
) -> None:
    """A sweep every `interval` seconds (the first one `interval` after startup, when kopf's
    resume handlers have just reconciled everything), until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep_once(memo, indices, cls, run)
        except Exception:  # the next sweep tries again; the task never dies of it
            log.exception("%s sweep failed", cls.KIND)


def register(
    registry: kopf.OperatorRegistry, cls: type[Resource], run: BodyReconcile, interval: float
) -> None:
    """Start the kind's sweep with the operator and stop it at cleanup."""
    key = f"{cls.KIND.lower()}-sweep"

    async def start(memo: kopf.Memo, **kwargs: Any) -> None:
        memo[key] = asyncio.create_task(sweep_forever(memo, kwargs, cls, run, interval), name=key)

    async def stop(memo: kopf.Memo, **_: Any) -> None:
        task: asyncio.Task[None] | None = memo.get(key)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    kopf.on.startup(id=key, registry=registry)(start)
    kopf.on.cleanup(id=f"{key}-stop", registry=registry)(stop)
