"""The ModelGroup kind: a caller-facing model name, its targets and how they are promoted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .addresses import group_name_problem
from .base import (
    DECIMAL_PATTERN,
    NAME_PATTERN,
    Condition,
    ObjectMeta,
    OperatorStatus,
    Resource,
    SecretRef,
    WireModel,
)
from .vocabulary import Capability, Stage, Strategy

RETRY_ANNOTATION = "switchyard.dev/retry"


class Target(WireModel):
    provider: str = Field(
        description="Name of a Provider in the same namespace.", pattern=NAME_PATTERN, max_length=63
    )
    model: str = Field(
        description="A model name listed in that Provider.", pattern=NAME_PATTERN, max_length=63
    )
    weight: int = Field(
        default=100, description="Desired routing weight once fully promoted.", ge=0, le=10000
    )
    tool_only: bool = Field(
        default=False, description="Route only requests that carry tools to this target."
    )

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model}"


class Access(WireModel):
    model_config = WireModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.restricted) || !self.restricted || has(self.callerSecretRef)",
                    "message": "a restricted group needs access.callerSecretRef",
                    "fieldPath": ".callerSecretRef",
                }
            ]
        }
    }

    restricted: bool = Field(
        default=False, description="A smoke group: only callers in callerSecretRef may use it."
    )
    caller_secret_ref: SecretRef | None = Field(
        default=None, description="Secret whose every value is one accepted caller token."
    )

    @model_validator(mode="after")
    def _secret(self) -> Access:
        if self.restricted and self.caller_secret_ref is None:
            raise ValueError("a restricted group needs access.callerSecretRef")
        return self


class Gates(WireModel):
    min_requests: int = Field(default=20, description="Requests per interval before judging.", ge=0)
    max_error_rate: str = Field(
        default="0.02", description="Highest tolerated error ratio (0..1).", pattern=DECIMAL_PATTERN
    )
    max_p95_latency_ms: int = Field(
        default=20000, description="Highest tolerated p95 latency in ms.", ge=1
    )
    require_usage: bool = Field(default=True, description="Responses must report token usage.")
    require_cost: bool = Field(
        default=False,
        description="Every successful response must be priced (usage reported and the model's "
        "pricing set); turn on once prices are in the catalog. Default false.",
    )
    require_caps_honored: bool = Field(
        default=True,
        description="No capped request may report more output tokens than its cap. Default true.",
    )
    max_fallback_rate: str = Field(
        default="0.10",
        description="Highest tolerated fallback ratio (0..1).",
        pattern=DECIMAL_PATTERN,
    )


class Promotion(WireModel):
    steps: list[int] = Field(
        default_factory=lambda: [5, 25, 50, 100],
        description="Percent of each target's desired weight, ascending, ending at 100.",
        min_length=1,
        max_length=20,
        json_schema_extra={
            "x-kubernetes-list-type": "set",
            "items": {"type": "integer", "minimum": 1, "maximum": 100},
            "x-kubernetes-validations": [
                {"rule": "self.isSorted()", "message": "promotion.steps must ascend"},
                {
                    "rule": "self[size(self) - 1] == 100",
                    "message": "promotion.steps must end at 100",
                },
            ],
        },
    )
    interval: str = Field(
        default="5m",
        description="Time between steps (e.g. 30s, 5m, 1h).",
        pattern=r"^[0-9]+(s|m|h)$",
    )
    required_capabilities: list[Capability] = Field(
        default_factory=lambda: [Capability.TEXT],
        description="Capabilities a target must have proven before it gets any weight.",
        max_length=16,
    )
    gates: Gates = Field(default_factory=Gates, description="Live-traffic gates per interval.")
    failure_threshold: int = Field(
        default=2, description="Failed intervals in a row before rollback.", ge=1, le=100
    )

    @model_validator(mode="after")
    def _steps(self) -> Promotion:
        if any(not 1 <= s <= 100 for s in self.steps):
            raise ValueError("promotion.steps: each step is a percent from 1 to 100")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError("promotion.steps must ascend")
        if self.steps[-1] != 100:
            raise ValueError("promotion.steps must end at 100")
        return self

    def interval_seconds(self) -> int:
        unit = {"s": 1, "m": 60, "h": 3600}[self.interval[-1]]
        return int(self.interval[:-1]) * unit


class Fallback(WireModel):
    max_attempts: int = Field(
        default=2, description="Targets tried per request, the first included.", ge=1, le=10
    )


class Sessions(WireModel):
    header: str = Field(
        default="X-Router-Session",
        description="Request header naming the caller's session.",
        pattern=r"^[A-Za-z0-9-]+$",
    )
    sticky: bool = Field(default=True, description="Keep a session on the target it first used.")
    stateful: bool = Field(
        default=False,
        description="chatToResponses bridge: carry previous_response_id within a session.",
    )
    ttl_seconds: int = Field(default=3600, description="How long a session is remembered.", ge=1)
    max_entries: int = Field(default=10000, description="Sessions kept at most.", ge=1)


class ModelGroupSpec(WireModel):
    model_config = WireModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "self.targets.all(t, self.targets.exists_one(u, "
                    "u.provider == t.provider && u.model == t.model))",
                    "message": "targets must be unique by provider and model",
                    "fieldPath": ".targets",
                },
            ]
        }
    }

    strategy: Strategy = Field(
        default=Strategy.WEIGHTED,
        description="weighted: promoted step by step; static: declared weights once eligible.",
    )
    targets: list[Target] = Field(description="Upstream targets.", min_length=1, max_length=32)
    access: Access = Field(default_factory=Access, description="Who may call this group.")
    promotion: Promotion = Field(default_factory=Promotion, description="Step-wise promotion.")
    fallback: Fallback = Field(default_factory=Fallback, description="Retries on other targets.")
    sessions: Sessions = Field(default_factory=Sessions, description="Session stickiness.")

    @model_validator(mode="after")
    def _unique(self) -> ModelGroupSpec:
        seen: set[str] = set()
        for i, t in enumerate(self.targets):
            if t.key in seen:
                raise ValueError(f"targets[{i}]: duplicate target {t.key}")
            seen.add(t.key)
        return self


class TargetStatus(WireModel):
    provider: str = Field(description="Provider of the target.")
    model: str = Field(description="Model of the target.")
    stage: Stage = Field(default=Stage.CATALOG_ONLY, description="Promotion stage.")
    step: int = Field(default=0, description="Index into promotion.steps (Limited).", ge=0)
    desired_weight: int = Field(default=0, description="Weight from spec.", ge=0)
    effective_weight: int = Field(default=0, description="Weight the router uses now.", ge=0)
    eligibility_skin: str | None = Field(
        default=None,
        description="How it is reached: native:<dialect> or bridge:<direction> (the name is "
        "kept from an earlier version that called dialects skins).",
    )
    inactive_tool_support: list[str] = Field(
        default_factory=list, description="Capabilities proven on dialects this group does not use."
    )
    failures: int = Field(default=0, description="Failed gate intervals in a row.", ge=0)
    last_transition_time: datetime | None = Field(default=None, description="Last stage change.")
    last_step_time: datetime | None = Field(default=None, description="Last gate evaluation.")
    reason: str | None = Field(default=None, description="Why the stage is what it is.")
    retry_token: str | None = Field(
        default=None, description="The switchyard.dev/retry value last acted on."
    )
    evidence_run: str | None = Field(
        default=None, description="Newest SmokeRun of the evidence the stage was decided on."
    )
    generation: int | None = Field(
        default=None, description="ModelGroup generation the stage was decided on.", ge=0
    )

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model}"


class ConfirmationResult(StrEnum):
    PENDING = "Pending"  # waiting for the router to serve the revision without the failed part
    SERVED = "Served"  # another target answered the confirmation request
    FAILED = "Failed"  # no target could; the condition RollbackConfirmed says why


class RollbackConfirmation(WireModel):
    """After a rollback the operator sends one minimal request through the group (003
    Rollback: "confirm another eligible target is selected") and records who served it."""

    trigger: str = Field(
        description="What rolled back: TargetRolledBack or RouterRolledBack.", max_length=64
    )
    reference: str = Field(
        description="The rolled-back targets (provider/model) or the failed router revision.",
        max_length=512,
    )
    requested_at: datetime = Field(description="When the rollback was seen.")
    result: ConfirmationResult = Field(default=ConfirmationResult.PENDING)
    confirmed_at: datetime | None = Field(default=None, description="When the request was sent.")
    served_by: str | None = Field(
        default=None,
        description="provider/model that answered (x-switchyard-upstream).",
        max_length=256,
    )
    message: str = Field(default="", description="Why it failed (sanitized).", max_length=512)


class ModelGroupStatus(OperatorStatus):
    observed_generation: int | None = Field(
        default=None, description="Generation reconciled.", ge=0
    )
    conditions: list[Condition] = Field(
        default_factory=list, description="Ready, Progressing, Degraded."
    )
    targets: list[TargetStatus] = Field(default_factory=list, description="Per-target progress.")
    router_revision: str | None = Field(default=None, description="RouterConfig revision served.")
    confirmation: RollbackConfirmation | None = Field(
        default=None, description="The last post-rollback confirmation request."
    )

    def target(self, provider: str, model: str) -> TargetStatus | None:
        return next((t for t in self.targets if t.provider == provider and t.model == model), None)


class ModelGroup(Resource):
    KIND: ClassVar[str] = "ModelGroup"
    PLURAL: ClassVar[str] = "modelgroups"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("mg",)
    DESCRIPTION: ClassVar[str] = "A caller-facing model name routed over evidence-proven targets."

    kind: Literal["ModelGroup"] = "ModelGroup"
    spec: ModelGroupSpec
    status: ModelGroupStatus = Field(default_factory=ModelGroupStatus)

    @field_validator("metadata")
    @classmethod
    def _name(cls, meta: ObjectMeta) -> ObjectMeta:
        # the caller-facing model name; the API server further limits it to a DNS subdomain
        problem = group_name_problem(meta.name)
        if problem:
            raise ValueError(f"name: {problem}")
        return meta
