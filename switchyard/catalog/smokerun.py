"""The SmokeRun kind: one evidence-gathering run and the rows it recorded."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .addresses import dns_subdomain_problem
from .base import (
    NAME_PATTERN,
    PIN_PATTERN,
    Condition,
    ObjectMeta,
    OperatorStatus,
    Resource,
    WireModel,
)
from .vocabulary import (
    BridgeDirection,
    Dialect,
    ErrorClass,
    Executor,
    Layer,
    ProbeResult,
    ProbeTask,
)

DEFAULT_TASKS: tuple[ProbeTask, ...] = (
    ProbeTask.TEXT,
    ProbeTask.MAX_TOKENS_CAP,
    ProbeTask.AUTO_TOOLS,
    ProbeTask.FORCED_TOOLS,
    ProbeTask.STRUCTURED_OUTPUTS,
    ProbeTask.STREAMING,
    ProbeTask.USAGE,
)


class SmokeTarget(WireModel):
    model_config = WireModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.modelGroup) != (has(self.provider) && has(self.model))",
                    "message": "target names either provider and model, or modelGroup",
                },
                {
                    "rule": "has(self.provider) == has(self.model)",
                    "message": "target.provider and target.model go together",
                },
                {
                    "rule": "!has(self.pin) || has(self.modelGroup)",
                    "message": "target.pin goes with a modelGroup (router layer)",
                },
            ]
        }
    }

    provider: str | None = Field(
        default=None, description="Provider (direct layer).", pattern=NAME_PATTERN
    )
    model: str | None = Field(
        default=None, description="Model of that Provider.", pattern=NAME_PATTERN
    )
    model_group: str | None = Field(
        default=None, description="ModelGroup (router layer).", pattern=NAME_PATTERN
    )
    pin: str | None = Field(
        default=None,
        description="Router layer, operator-created runs only: the target (provider/model) "
        "that must serve, judged as in a restricted group (router-level proof).",
        pattern=PIN_PATTERN,
        max_length=127,
    )

    @model_validator(mode="after")
    def _one(self) -> SmokeTarget:
        if (self.provider is None) != (self.model is None):
            raise ValueError("target.provider and target.model go together")
        if (self.model_group is None) == (self.provider is None):
            raise ValueError("target names either provider and model, or modelGroup")
        if self.pin is not None and self.model_group is None:
            raise ValueError("target.pin goes with a modelGroup (router layer)")
        return self


class LargePayload(WireModel):
    target_bytes: int = Field(
        default=524288, description="Request body size to reach.", ge=1024, le=16777216
    )
    tool_count: int = Field(default=24, description="Function schemas to include.", ge=0, le=512)
    max_tokens: int = Field(default=32, description="Output cap of the request.", ge=1, le=65536)


class SmokeRunSpec(WireModel):
    model_config = WireModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.layer) && self.layer == 'router' ? has(self.target.modelGroup) : has(self.target.provider)",
                    "message": "layer router targets a modelGroup; layer direct a provider and model",
                    "fieldPath": ".target",
                },
                {
                    "rule": "!has(self.target.pin) || (has(self.executor) && self.executor == 'inline')",
                    "message": "a pinned run is run inline by the operator (its token never leaves it)",
                    "fieldPath": ".target.pin",
                },
                {"rule": "self == oldSelf", "message": "SmokeRun spec is immutable"},
            ]
        }
    }

    target: SmokeTarget = Field(description="What to probe.")
    layer: Layer = Field(default=Layer.DIRECT, description="direct (upstream) or router (a group).")
    tasks: list[ProbeTask] = Field(
        default_factory=lambda: list(DEFAULT_TASKS),
        description="Probe tasks to run.",
        min_length=1,
        max_length=16,
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    dialects: list[Dialect] = Field(
        default_factory=list,
        description="Router layer: caller dialects to probe through (default: openai-chat).",
        max_length=3,
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    large_payload: LargePayload = Field(
        default_factory=LargePayload, description="Shape of the large-payload task."
    )
    executor: Executor = Field(
        default=Executor.JOB,
        description="job (the operator runs a Kubernetes Job), inline (the operator runs the "
        "probe itself), or external (the evidence was gathered outside the cluster by "
        "`switchyard probe --output smokerun`; the operator never runs it and reads the status "
        "written through the status subresource).",
    )
    timeout_seconds: int = Field(
        default=600, description="Deadline for the whole run.", ge=10, le=7200
    )

    @model_validator(mode="after")
    def _layer(self) -> SmokeRunSpec:
        if self.layer is Layer.ROUTER and self.target.model_group is None:
            raise ValueError("layer router targets a modelGroup")
        if self.layer is Layer.DIRECT and self.target.provider is None:
            raise ValueError("layer direct targets a provider and model")
        if self.target.pin is not None and self.executor is not Executor.INLINE:
            raise ValueError(
                "a pinned run is run inline by the operator (its token never leaves it)"
            )
        return self


class EvidenceRow(WireModel):
    """One probe result: scalars only, never prompts, bodies or keys."""

    task: ProbeTask = Field(description="The probe task.")
    dialect: Dialect = Field(
        description="The dialect spoken (the caller dialect on the router layer)."
    )
    layer: Layer = Field(description="direct or router.")
    result: ProbeResult = Field(description="pass, fail, skip or info.")
    status_code: int | None = Field(default=None, description="HTTP status seen.", ge=0, le=999)
    error_class: ErrorClass | None = Field(default=None, description="Sanitized error class.")
    latency_ms: int | None = Field(default=None, description="Request latency in ms.", ge=0)
    input_tokens: int | None = Field(default=None, description="Reported input tokens.", ge=0)
    output_tokens: int | None = Field(default=None, description="Reported output tokens.", ge=0)
    selected_upstream: str | None = Field(
        default=None, description="provider/model that served it (router layer)."
    )
    bridge_direction: BridgeDirection | None = Field(
        default=None, description="Bridge used on the router layer, if any."
    )
    fallback: bool | None = Field(default=None, description="Whether the router fell back.")
    detail: str | None = Field(
        default=None,
        description="Safe detail: reasoning control, schema form, hosted tool, or a short note.",
        max_length=256,
    )
    at: datetime | None = Field(default=None, description="When the row was recorded.")


class SmokeRunStatus(OperatorStatus):
    observed_generation: int | None = Field(
        default=None, description="Generation reconciled.", ge=0
    )
    conditions: list[Condition] = Field(default_factory=list, description="Complete, Succeeded.")
    started_at: datetime | None = Field(default=None, description="When the run started.")
    completed_at: datetime | None = Field(default=None, description="When the run completed.")
    job_name: str | None = Field(default=None, description="The Job running the probes.")
    provider_generation: int | None = Field(
        default=None, description="Provider generation the run tested (direct layer)."
    )
    results: list[EvidenceRow] = Field(default_factory=list, description="Evidence rows.")
    recommended: dict[str, object] | None = Field(
        default=None,
        description="Catalog metadata these results justify (same shape as Provider model status).",
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    tokens_spent: int | None = Field(
        default=None, description="Total tokens the probes used.", ge=0
    )

    def completed(self) -> bool:
        return any(c.type == "Complete" and c.status.value == "True" for c in self.conditions)


class SmokeRun(Resource):
    KIND: ClassVar[str] = "SmokeRun"
    PLURAL: ClassVar[str] = "smokeruns"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("smoke",)
    DESCRIPTION: ClassVar[str] = "One evidence-gathering run of capability probes."

    kind: Literal["SmokeRun"] = "SmokeRun"
    spec: SmokeRunSpec
    status: SmokeRunStatus = Field(default_factory=SmokeRunStatus)

    @field_validator("metadata")
    @classmethod
    def _name(cls, meta: ObjectMeta) -> ObjectMeta:
        problem = dns_subdomain_problem(meta.name)
        if problem:
            raise ValueError(f"name {problem}")
        return meta
