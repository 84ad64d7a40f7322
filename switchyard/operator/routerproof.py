"""Router-level proof (003: image input "only after direct and router-level image smokes pass";
large payloads likewise; reasoning "only after the same reasoning request passes through the
router"). Pure.

Open groups route ``ROUTER_PROOF`` capabilities to a target only once a router-layer row proved
them for it too (``catalog.eligibility``). So onboarding stays one ``kubectl apply``, the
operator creates that router-layer SmokeRun itself as soon as the direct evidence is in: the same
probe tasks, sent through the group to the namespace's router with the operator's own token and
pinned to the target (``x-switchyard-pin``), which the router judges as in a restricted group —
the group's smoke path. One run per group, target and newest direct run: a failure is not
retried until new direct evidence arrives (then the new evidence decides, as for direct runs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from typing import Any

from switchyard.catalog import (
    API_VERSION,
    BYTES_PER_TOKEN,
    DEFAULT_CONTEXT_WINDOW,
    ROUTER_PROOF,
    TASK_PROVES,
    Capability,
    Executor,
    LargePayload,
    Layer,
    ModelGroup,
    ModelStatus,
    ProbeTask,
    Provider,
)

from .providers import MANAGED_BY, MANAGED_BY_LABEL, REASON_ANNOTATION, dns_name

ROUTER_TASKS: dict[ProbeTask, Capability] = {
    task: cap for task, cap in TASK_PROVES.items() if cap in ROUTER_PROOF
}
REASON = "RouterProof"


def missing_tasks(status: ModelStatus | None) -> list[ProbeTask]:
    """The router-proof tasks whose capability is proven directly but not through the router."""
    if status is None or status.access_failure is not None:
        return []
    direct = set(status.verified.capabilities())
    routed = set(status.router_verified.capabilities())
    return [t for t, cap in ROUTER_TASKS.items() if cap in direct and cap not in routed]


def run_name(group: str, provider: str, model: str, evidence_run: str) -> str:
    """Deterministic, so a reconcile that runs again finds the run it created."""
    digest = hashlib.sha256(f"{group}\0{evidence_run}".encode()).hexdigest()[:10]
    return dns_name(provider, model, "router", digest)


def plan(
    group: ModelGroup, providers: Mapping[str, Provider], existing: Collection[str]
) -> list[dict[str, Any]]:
    """The router-proof SmokeRuns this (open) group needs now and does not have."""
    if group.spec.access.restricted:
        return []  # a smoke group routes on direct evidence; nothing to prove through it
    out: list[dict[str, Any]] = []
    for target in group.spec.targets:
        provider = providers.get(target.provider)
        if provider is None or provider.spec.model(target.model) is None:
            continue
        status = provider.status.model(target.model)
        tasks = missing_tasks(status)
        if not tasks or status is None or not status.smoke_runs:
            continue
        name = run_name(group.name, target.provider, target.model, status.smoke_runs[-1])
        if name in existing:
            continue
        out.append(manifest(group, provider, target.model, tasks, name))
    return out


def payload_bytes(provider: Provider, model: str) -> int:
    """The large-payload body for the router: the usual size, but within three quarters of the
    model's context window as the router estimates it (a larger body is refused for the window,
    which is not what this task proves)."""
    spec = provider.spec.model(model)
    window = (spec.context_window if spec else None) or DEFAULT_CONTEXT_WINDOW
    usual = LargePayload().target_bytes
    return max(min(usual, window * BYTES_PER_TOKEN * 3 // 4), 1024)


def manifest(
    group: ModelGroup, provider: Provider, model: str, tasks: list[ProbeTask], name: str
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "target": {"modelGroup": group.name, "pin": f"{provider.name}/{model}"},
        "layer": Layer.ROUTER.value,
        "tasks": [t.value for t in tasks],
        "dialects": [provider.spec.dialect.value],
        "executor": Executor.INLINE.value,
    }
    if ProbeTask.LARGE_PAYLOAD in tasks:
        spec["largePayload"] = {"targetBytes": payload_bytes(provider, model)}
    return {
        "apiVersion": API_VERSION,
        "kind": "SmokeRun",
        "metadata": {
            "name": name,
            "namespace": group.metadata.namespace,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY},
            "annotations": {REASON_ANNOTATION: REASON},
        },
        "spec": spec,
    }
