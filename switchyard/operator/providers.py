"""Provider reconcile: conditions, per-model evidence, and the SmokeRuns a new spec needs. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchyard.catalog import (
    API_VERSION,
    Condition,
    Executor,
    Layer,
    ModelStatus,
    Provider,
    ProviderStatus,
    SmokeRun,
    derive_model_status,
)

from .conditions import condition, merge

PROVIDER_LABEL = "switchyard.dev/provider"
MODEL_LABEL = "switchyard.dev/model"
GENERATION_LABEL = "switchyard.dev/provider-generation"
KEY_VERSION_LABEL = "switchyard.dev/key-version"  # the key Secret's resourceVersion it ran with
REASON_ANNOTATION = "switchyard.dev/reason"  # why the operator started it
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "switchyard-operator"


@dataclass(frozen=True)
class SecretState:
    """What the operator found about the Provider's key Secret (never the value)."""

    exists: bool
    has_key: bool
    version: str | None = None  # the Secret's resourceVersion: a new one means a rotated key


@dataclass
class ProviderPlan:
    status: ProviderStatus
    smoke_runs: list[dict[str, Any]] = field(default_factory=list)  # to create (idempotent)


def dns_name(*parts: str, limit: int = 63) -> str:
    """A DNS-1123 label from parts; long names keep a hash suffix so they stay unique."""
    name = "-".join(p.strip("-") for p in parts if p).lower()
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def auto_smoke_name(provider: str, model: str, generation: int, attempt: int = 1) -> str:
    """``<provider>-<model>-g<generation>``, then ``-r<n>`` for the n-th run of a generation."""
    return dns_name(provider, model, f"g{generation}", f"r{attempt}" if attempt > 1 else "")


@dataclass(frozen=True)
class Why:
    """Why a SmokeRun is due (None: it is not)."""

    reason: str  # NewGeneration | EvidenceStale | KeyRotated
    attempt: int


def smoke_run_manifest(
    provider: Provider,
    model: str,
    generation: int,
    executor: Executor,
    why: Why | None = None,
    key_version: str | None = None,
) -> dict[str, Any]:
    """The SmokeRun a Provider model needs now (default tasks)."""
    why = why or Why("NewGeneration", 1)
    labels = {
        PROVIDER_LABEL: provider.name,
        MODEL_LABEL: model,
        GENERATION_LABEL: str(generation),
        MANAGED_BY_LABEL: MANAGED_BY,
    }
    if key_version:
        labels[KEY_VERSION_LABEL] = key_version
    return {
        "apiVersion": API_VERSION,
        "kind": "SmokeRun",
        "metadata": {
            "name": auto_smoke_name(provider.name, model, generation, why.attempt),
            "namespace": provider.metadata.namespace,
            "labels": labels,
            "annotations": {REASON_ANNOTATION: why.reason},
        },
        "spec": {
            "target": {"provider": provider.name, "model": model},
            "layer": Layer.DIRECT.value,
            "executor": executor.value,
        },
    }


def concerns(run: SmokeRun, provider: str, model: str | None = None) -> bool:
    """Does this SmokeRun hold evidence for the provider (and model)?"""
    if run.spec.layer is Layer.DIRECT:
        return run.spec.target.provider == provider and model in (None, run.spec.target.model)
    prefix = f"{provider}/{model}" if model else f"{provider}/"
    return any((r.selected_upstream or "").startswith(prefix) for r in run.status.results)


def reconcile(
    provider: Provider,
    runs: Sequence[SmokeRun],
    secret: SecretState | None,
    now: datetime,
    executor: Executor = Executor.JOB,
) -> ProviderPlan:
    """Status from spec, Secret and evidence; plus the SmokeRuns this generation still lacks."""
    generation = provider.metadata.generation or 0
    models: list[ModelStatus] = []
    plan = ProviderPlan(status=provider.status.model_copy(deep=True))
    for m in provider.spec.models:
        mine = [r for r in runs if concerns(r, provider.name, m.name)]
        models.append(
            derive_model_status(m.name, provider.spec.dialect, mine, (provider.name, m.name))
        )
        why = due(provider, mine, generation, secret, now)
        if why is not None:
            version = secret.version if secret else None
            manifest = smoke_run_manifest(provider, m.name, generation, executor, why, version)
            plan.smoke_runs.append(manifest)
    plan.status.models = models
    plan.status.observed_generation = generation
    plan.status.conditions = merge(
        provider.status.conditions, _conditions(provider, models, secret, generation), now
    )
    return plan


def due(
    provider: Provider,
    runs: Sequence[SmokeRun],
    generation: int,
    secret: SecretState | None,
    now: datetime,
) -> Why | None:
    """Whether one model needs a new direct SmokeRun: none yet for this generation, or the
    newest completed one is older than ``evidence.maxAge``, or it ran with an older key."""
    mine = [
        r
        for r in runs
        if r.spec.layer is Layer.DIRECT
        and (
            r.metadata.labels.get(GENERATION_LABEL) == str(generation)
            or r.status.provider_generation == generation
        )
    ]
    if not mine:
        return Why("NewGeneration", 1)
    if any(not r.status.completed() for r in mine):
        return None  # one is running: its evidence comes first
    attempt = len(mine) + 1
    newest = max(mine, key=lambda r: r.status.completed_at or now)
    finished = newest.status.completed_at or now
    if (now - finished).total_seconds() > provider.spec.evidence.max_age_seconds():
        return Why("EvidenceStale", attempt)
    ran_with = newest.metadata.labels.get(KEY_VERSION_LABEL)
    if secret is not None and secret.version and ran_with and ran_with != secret.version:
        return Why("KeyRotated", attempt)
    return None


def _conditions(
    provider: Provider,
    models: Sequence[ModelStatus],
    secret: SecretState | None,
    generation: int,
) -> list[Condition]:
    blocked = [m for m in models if m.access_failure is not None]
    access = condition(
        "AccessBlocked",
        bool(blocked),
        blocked[0].access_failure.value if blocked and blocked[0].access_failure else "NoBlocker",
        ", ".join(f"{m.name}: {m.access_failure.value}" for m in blocked if m.access_failure),
        generation,
    )
    ref = provider.spec.auth.secret_ref
    if ref is not None and secret is not None and not (secret.exists and secret.has_key):
        what = "not found" if not secret.exists else f"has no key {ref.key!r}"
        ready = condition("Ready", False, "SecretMissing", f"Secret {ref.name} {what}", generation)
        return [ready, access]
    usable = [m.name for m in models if m.verified.text is not None and m.access_failure is None]
    if usable:
        ready = condition(
            "Ready", True, "Verified", f"text verified for {', '.join(usable)}", generation
        )
    elif blocked:
        ready = condition("Ready", False, "AccessBlocked", access.message, generation)
    else:
        ready = condition("Ready", False, "AwaitingEvidence", "no passing text smoke", generation)
    return [ready, access]


def invalid_status(
    current: ProviderStatus, problems: Sequence[str], generation: int, now: datetime
) -> ProviderStatus:
    """Status for a spec the models refuse: Ready False naming the field paths; nothing else
    changes (the evidence of the last valid spec stays as it was)."""
    status = current.model_copy(deep=True)
    status.observed_generation = generation
    message = "; ".join(problems)[:1024]
    status.conditions = merge(
        current.conditions, [condition("Ready", False, "InvalidSpec", message, generation)], now
    )
    return status


def secret_state(
    data: Mapping[str, Any] | None, key: str, version: str | None = None
) -> SecretState:
    return SecretState(
        exists=data is not None, has_key=bool(data) and key in (data or {}), version=version
    )
