"""Evidence documents: the report (yaml/json), a SmokeRun manifest, and per-dialect files.

`recommended` always comes from the catalog's own mapping (`switchyard.catalog.recommend`),
so the probe can never disagree with what the operator would derive from the same rows.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from switchyard.catalog import (
    Condition,
    ConditionStatus,
    Dialect,
    EvidenceRow,
    Layer,
    ModelStatus,
    SmokeRun,
    recommend,
)

from .runner import DialectReport, ProbeReport

NAME_MAX = 63


@dataclass(frozen=True)
class Naming:
    """How the run is named in the catalog (needed only for SmokeRun manifests)."""

    run_name: str
    model_ref: str
    provider: str | None = None
    namespace: str | None = None
    tasks: tuple[str, ...] = ()
    provider_generation: int | None = None  # the Provider generation the evidence is for


def dns_name(text: str) -> str:
    """A Kubernetes object name derived from free text (model ids have slashes, dots...)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:NAME_MAX].rstrip("-") or "probe"


def recommended_for(rows: list[EvidenceRow], dialect: Dialect, naming: Naming) -> ModelStatus:
    return recommend(rows, dialect, naming.run_name, naming.model_ref)


def summary(rows: list[EvidenceRow]) -> dict[str, int]:
    counts = Counter(r.result.value for r in rows)
    return {k: counts.get(k, 0) for k in ("pass", "fail", "skip", "info")}


def _probe_block(report: ProbeReport, dialects: list[DialectReport]) -> dict[str, Any]:
    target = report.target
    block: dict[str, Any] = {"layer": target.layer.value}
    block["group" if target.layer is Layer.ROUTER else "model"] = target.model
    block["dialects"] = [d.dialect.value for d in dialects]
    block["startedAt"] = report.started_at.isoformat()
    block["completedAt"] = report.completed_at.isoformat()
    block["requests"] = sum(d.requests for d in dialects)
    block["tokensSpent"] = sum(d.tokens_spent for d in dialects)
    return block


def _chosen(
    report: ProbeReport, only: DialectReport | None
) -> tuple[list[DialectReport], list[EvidenceRow]]:
    dialects = [only] if only is not None else report.dialects
    return dialects, [r for d in dialects for r in d.rows]


def report_document(
    report: ProbeReport, naming: Naming, only: DialectReport | None = None
) -> dict[str, Any]:
    """The yaml/json evidence document; `only` narrows it to one dialect (matrix files)."""
    dialects, rows = _chosen(report, only)
    doc: dict[str, Any] = {"probe": _probe_block(report, dialects)}
    doc["summary"] = summary(rows)
    doc["results"] = [r.wire() for r in rows]
    recs = {d.dialect.value: recommended_for(d.rows, d.dialect, naming).wire() for d in dialects}
    doc["recommended"] = next(iter(recs.values())) if len(recs) == 1 else recs
    return doc


def smokerun_document(
    report: ProbeReport, naming: Naming, only: DialectReport | None = None
) -> dict[str, Any]:
    """A SmokeRun with status filled, for `kubectl apply` or `switchyard render`."""
    dialects, rows = _chosen(report, only)
    layer = report.target.layer
    if layer is Layer.DIRECT:
        if len(dialects) != 1:
            raise ValueError("a direct SmokeRun covers one dialect (one Provider dialect)")
        if naming.provider is None:
            raise ValueError("--output smokerun on the direct layer needs --provider")
        target: dict[str, Any] = {"provider": naming.provider, "model": naming.model_ref}
    else:
        target = {"modelGroup": report.target.model}
    # gathered here, not by the operator: it must never run it again
    spec: dict[str, Any] = {"target": target, "layer": layer.value, "executor": "external"}
    spec["tasks"] = list(naming.tasks) or sorted({r.task.value for r in rows})
    if layer is Layer.ROUTER:
        spec["dialects"] = [d.dialect.value for d in dialects]
    passed = all(r.result.value == "pass" for r in _decisive(rows)) and bool(rows)
    conditions = [
        Condition(
            type="Complete",
            status=ConditionStatus.TRUE,
            last_transition_time=report.completed_at,
            reason="ProbesFinished",
        ),
        Condition(
            type="Succeeded",
            status=ConditionStatus.TRUE if passed else ConditionStatus.FALSE,
            last_transition_time=report.completed_at,
            reason="AllPassed" if passed else "SomeNotPassed",
        ),
    ]
    metadata: dict[str, Any] = {"name": naming.run_name}
    if naming.namespace:
        metadata["namespace"] = naming.namespace
    run = SmokeRun.model_validate(
        {
            "metadata": metadata,
            "spec": spec,
            "status": {
                "conditions": [c.wire() for c in conditions],
                "startedAt": report.started_at,
                "completedAt": report.completed_at,
                "results": [r.wire() for r in rows],
                "recommended": recommended_for(rows, dialects[0].dialect, naming).wire(),
                "tokensSpent": sum(d.tokens_spent for d in dialects),
                "providerGeneration": naming.provider_generation,
            },
        }
    )
    doc = run.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["metadata"] = metadata
    return doc


def _decisive(rows: list[EvidenceRow]) -> list[EvidenceRow]:
    last: dict[tuple[str, str], EvidenceRow] = {}
    for row in rows:
        last[(row.dialect.value, row.task.value)] = row
    return list(last.values())
