"""Shared by the handlers: the context from kopf's memo, catalog listing, time."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import kopf
from pydantic import ValidationError

from switchyard.catalog import ModelGroup, Provider, Resource, SmokeRun
from switchyard.catalog.manifests import describe

from ..conditions import condition, merge
from ..context import Context

R = TypeVar("R", bound=Resource)
Handler = Callable[..., Awaitable[None]]
Reconcile = Callable[[Context, kopf.Body, kopf.Patch, R], Awaitable[None]]
Refused = Callable[[kopf.Body, kopf.Patch, list[str]], None]


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


def reconciler(cls: type[R], reconcile: Reconcile[R], refused: Refused) -> Handler:
    """The kopf handler of a kind: under the object's lock, parse the body and `reconcile` it.
    A body the model refuses is never reconciled: `refused` writes its status from the
    problems, and it is counted as invalid. Raising reconciles are counted too."""
    kind = cls.KIND

    async def handler(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        ctx = context(memo)
        ns = body.metadata.namespace or ""
        async with ctx.lock(f"{kind.lower()}/{ns}/{body.metadata.name}"):
            try:
                obj = parse(cls, body)
            except ValidationError as err:
                refused(body, patch, describe(kind, plain(body), err))
                ctx.metrics.reconciles.labels(kind, "invalid").inc()
                return
            await reconcile(ctx, body, patch, obj)

    return counted(kind, handler)


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


def plain(body: Mapping[str, Any]) -> dict[str, Any]:
    """A kopf Body (or API dict) as a plain dict of the fields the catalog models read."""

    def part(name: str) -> Any:
        value = body.get(name) or {}
        # anything else goes through as is: the model then names the field, nothing raises here
        return dict(value) if isinstance(value, Mapping) else value

    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": part("metadata"),
        "spec": part("spec"),
        "status": part("status"),
    }


def parse(cls: type[R], body: Mapping[str, Any]) -> R:
    return cls.model_validate(plain(body))


def deleting(body: Mapping[str, Any]) -> bool:
    return bool((body.get("metadata") or {}).get("deletionTimestamp"))


def parse_all(cls: type[R], items: list[dict[str, Any]]) -> list[R]:
    """Valid, live objects only: an invalid neighbour never blocks this one's reconcile."""
    out = []
    for item in items:
        if deleting(item):
            continue
        try:
            out.append(parse(cls, item))
        except ValidationError:
            continue
    return out


async def catalog(
    ctx: Context, namespace: str
) -> tuple[list[Provider], list[ModelGroup], list[SmokeRun]]:
    kube = ctx.kube
    providers = parse_all(Provider, await kube.list_custom(namespace, Provider.PLURAL))
    groups = parse_all(ModelGroup, await kube.list_custom(namespace, ModelGroup.PLURAL))
    runs = parse_all(SmokeRun, await kube.list_custom(namespace, SmokeRun.PLURAL))
    return providers, groups, runs
