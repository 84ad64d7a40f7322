"""Small builders of catalog objects for tests (real models, no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from switchyard.catalog import (
    Dialect,
    EvidenceRow,
    ModelGroup,
    Provider,
    SmokeRun,
)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def provider(
    name: str = "p",
    dialect: Dialect = Dialect.OPENAI_CHAT,
    models: tuple[str, ...] = ("m",),
    bridges: dict[str, Any] | None = None,
    allow: list[str] | None = None,
    generation: int = 1,
) -> Provider:
    model_specs: list[dict[str, Any]] = []
    for m in models:
        spec: dict[str, Any] = {"name": m, "model": f"upstream/{m}"}
        if bridges:
            spec["bridges"] = bridges
        if allow is not None:
            spec["allow"] = allow
        model_specs.append(spec)
    return Provider.model_validate(
        {
            "apiVersion": "switchyard.dev/v1alpha1",
            "kind": "Provider",
            "metadata": {"name": name, "namespace": "t", "generation": generation},
            "spec": {
                "baseUrl": "https://up.example/v1",
                "dialect": dialect.value,
                "auth": {"scheme": "bearer", "secretRef": {"name": f"{name}-key", "key": "apiKey"}},
                "models": model_specs,
            },
        }
    )


def row(
    task: str, result: str = "pass", dialect: str = "openai-chat", **extra: Any
) -> dict[str, Any]:
    return {
        "task": task,
        "dialect": dialect,
        "layer": extra.pop("layer", "direct"),
        "result": result,
        **extra,
    }


def smoke_run(
    name: str,
    rows: list[dict[str, Any]],
    provider: str = "p",
    model: str = "m",
    minutes: int = 0,
    generation: int | None = 1,
    complete: bool = True,
    group: str | None = None,
) -> SmokeRun:
    target = {"modelGroup": group} if group else {"provider": provider, "model": model}
    status: dict[str, Any] = {
        "results": [EvidenceRow.model_validate(r).wire() for r in rows],
        "completedAt": (T0 + timedelta(minutes=minutes)).isoformat(),
        "providerGeneration": generation,
    }
    if complete:
        status["conditions"] = [{"type": "Complete", "status": "True", "reason": "Done"}]
    return SmokeRun.model_validate(
        {
            "apiVersion": "switchyard.dev/v1alpha1",
            "kind": "SmokeRun",
            "metadata": {"name": name, "namespace": "t"},
            "spec": {"target": target, "layer": "router" if group else "direct"},
            "status": status,
        }
    )


def group(
    name: str = "g",
    targets: list[dict[str, Any]] | None = None,
    restricted: bool = False,
    strategy: str = "static",
    status: dict[str, Any] | None = None,
    **spec: Any,
) -> ModelGroup:
    body: dict[str, Any] = {
        "strategy": strategy,
        "targets": targets or [{"provider": "p", "model": "m"}],
        **spec,
    }
    if restricted:
        body["access"] = {"restricted": True, "callerSecretRef": {"name": "callers"}}
    return ModelGroup.model_validate(
        {
            "apiVersion": "switchyard.dev/v1alpha1",
            "kind": "ModelGroup",
            "metadata": {"name": name, "namespace": "t"},
            "spec": body,
            "status": status or {},
        }
    )
