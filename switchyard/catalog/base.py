"""Shared building blocks of the CRD models: camelCase wire names, conditions, object metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .vocabulary import ConditionStatus

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$"  # provider/model
NOTE_LENGTH = 1024  # free-text notes: enough for a paragraph, never a document
DECIMAL_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?$"


class WireModel(BaseModel):
    """Base of every CRD sub-object: camelCase on the wire, snake_case in Python, no unknown keys.

    Unknown keys are refused so a typo in a manifest is an error, not a silently ignored field.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=False,
        use_enum_values=False,
    )

    def wire(self) -> dict[str, Any]:
        """The JSON-ready camelCase form, without unset optional fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class OperatorStatus(WireModel):
    """Base of the three status stanzas; tolerates the operator framework's bookkeeping."""

    kopf: dict[str, Any] | None = Field(
        default=None,
        exclude=True,
        description="Operator framework bookkeeping (handler progress, last-handled spec); "
        "not part of the API.",
    )


class SecretKeyRef(WireModel):
    name: str = Field(description="Name of a Secret in the same namespace.", pattern=NAME_PATTERN)
    key: str = Field(description="Key inside the Secret that holds the value.", min_length=1)


class SecretRef(WireModel):
    name: str = Field(description="Name of a Secret in the same namespace.", pattern=NAME_PATTERN)


class Condition(WireModel):
    """metav1.Condition: the one way status reports state (no phase field)."""

    type: str = Field(description="Condition type, e.g. Ready, Progressing, Degraded.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    observed_generation: int | None = Field(
        default=None, description="The .metadata.generation the condition was set from.", ge=0
    )
    last_transition_time: datetime | None = Field(
        default=None, description="When the status last changed."
    )
    reason: str = Field(default="", description="CamelCase machine-readable reason.")
    message: str = Field(default="", description="Human-readable detail; never secrets.")


class ObjectMeta(BaseModel):
    """The parts of metav1.ObjectMeta the catalog reads; everything else is kept but ignored."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)

    name: str
    namespace: str | None = None
    generation: int | None = None
    uid: str | None = None
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    creation_timestamp: datetime | None = None


class Resource(BaseModel):
    """Envelope shared by the three kinds (apiVersion, kind, metadata, spec, status)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)

    GROUP: ClassVar[str] = "switchyard.dev"
    VERSION: ClassVar[str] = "v1alpha1"
    KIND: ClassVar[str] = ""
    PLURAL: ClassVar[str] = ""
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ()
    DESCRIPTION: ClassVar[str] = ""

    api_version: str = Field(default="switchyard.dev/v1alpha1")
    kind: str
    metadata: ObjectMeta

    @classmethod
    def api_version_value(cls) -> str:
        return f"{cls.GROUP}/{cls.VERSION}"

    @property
    def name(self) -> str:
        return self.metadata.name

    def ref(self) -> str:
        """`Kind/namespace/name` for error messages and logs."""
        ns = self.metadata.namespace or "-"
        return f"{self.kind}/{ns}/{self.metadata.name}"
