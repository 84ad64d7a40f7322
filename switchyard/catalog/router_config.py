"""RouterConfig: the rendered, revisioned document the router loads and validates.

It holds references to Secrets (mounted as files), never the secrets themselves.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .addresses import base_url_problem, dns_label_problem, group_name_problem
from .base import SecretKeyRef, WireModel
from .modelgroup import Sessions
from .provider import Header, Pricing
from .vocabulary import (
    AccessFailure,
    AuthScheme,
    BridgeDirection,
    Capability,
    Dialect,
    Locality,
    Platform,
    ReasoningControl,
    Stage,
    Strategy,
)

CONFIG_API_VERSION = "switchyard.dev/v1alpha1"


class DefaultAccess(StrEnum):
    """What the router does with callers of groups that are not restricted."""

    OPEN = "open"  # any caller (the network boundary is the access control)
    CALLERS = "callers"  # only tokens from settings.defaultCallerSecret


class SessionBackend(StrEnum):
    MEMORY = "memory"
    REDIS = "redis"


class RouterSettings(WireModel):
    default_access: DefaultAccess = Field(
        default=DefaultAccess.OPEN, description="Caller policy for groups that are not restricted."
    )
    default_caller_secret: str | None = Field(
        default=None, description="Secret of accepted caller tokens when defaultAccess is callers."
    )
    operator_token_digest: str | None = Field(
        default=None,
        description="SHA-256 (hex) of the operator's confirmation token: accepted on every "
        "group, for post-rollback confirmation requests only (no stream, no tools, a small cap).",
        pattern=r"^[0-9a-f]{64}$",
    )
    large_payload_bytes: int = Field(
        default=262144, description="Requests above this size need largePayload evidence.", ge=1
    )
    session_backend: SessionBackend = Field(
        default=SessionBackend.MEMORY, description="Where bridge session state lives."
    )
    redis_url: str | None = Field(default=None, description="redis:// URL for the redis backend.")

    @model_validator(mode="after")
    def _redis_needs_url(self) -> RouterSettings:
        if self.session_backend is SessionBackend.REDIS and not self.redis_url:
            raise ValueError("sessionBackend redis needs redisUrl")
        return self


class RouterBridge(WireModel):
    direction: BridgeDirection = Field(description="An enabled bridge into this model's dialect.")
    verified: list[Capability] = Field(
        default_factory=list, description="Needs proven through this bridge by router smokes."
    )


class RouterModel(WireModel):
    name: str = Field(description="model_ref.")
    model: str = Field(description="Upstream model id.")
    context_window: int | None = Field(
        default=None,
        description="Context window in tokens (default 131072 when unset): a request whose "
        "estimated prompt (request bytes / 4, rounded up by at most 6.25%) exceeds it skips "
        "this target like any other unmet need.",
    )
    pricing: Pricing | None = Field(default=None, description="Per-token prices.")
    verified: list[Capability] = Field(default_factory=list, description="Proven natively.")
    router_verified: list[Capability] = Field(
        default_factory=list,
        description="Proven through the router natively; open groups need ROUTER_PROOF here too.",
    )
    reasoning_control: ReasoningControl | None = Field(
        default=None, description="The proven reasoning control the router writes requests in."
    )
    hosted_tools: list[str] = Field(default_factory=list, description="Hosted tools proven.")
    honors_max_tokens: bool | None = Field(default=None, description="From the cap probe.")
    force_store_false: bool | None = Field(
        default=None, description="Send store: false upstream (omitted: false)."
    )
    access_failure: AccessFailure | None = Field(default=None, description="Blocks all traffic.")
    bridges: list[RouterBridge] = Field(default_factory=list, description="Enabled bridges.")


class RouterProvider(WireModel):
    name: str = Field(description="Provider name (a DNS-1123 label).")
    base_url: str = Field(
        description="Upstream base URL: http(s), no userinfo, not link-local or cloud metadata "
        "unless allowLinkLocal."
    )
    allow_link_local: bool | None = Field(
        default=None, description="The Provider's allowLinkLocal opt-in (omitted: false)."
    )
    dialect: Dialect = Field(description="Upstream dialect.")
    auth_scheme: AuthScheme = Field(description="How the key is sent.")
    key_id: str | None = Field(
        default=None, description="Which key (the Provider's auth.keyId), for rows and metrics."
    )
    secret: SecretKeyRef | None = Field(default=None, description="Mounted key file reference.")
    headers: list[Header] = Field(default_factory=list, description="Extra upstream headers.")
    locality: Locality = Field(default=Locality.REMOTE, description="remote or local.")
    platform: Platform = Field(
        default=Platform.DIRECT, description="direct, bedrock or vertex (paths and auth)."
    )
    region: str | None = Field(default=None, description="AWS region or Vertex AI location.")
    project: str | None = Field(default=None, description="Google Cloud project (Vertex AI).")
    models: list[RouterModel] = Field(default_factory=list, description="Models on this dialect.")

    def model(self, name: str) -> RouterModel | None:
        return next((m for m in self.models if m.name == name), None)

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        problem = dns_label_problem(name)
        if problem:
            raise ValueError(f"provider name {problem}")
        return name

    @model_validator(mode="after")
    def _url(self) -> RouterProvider:
        # a hand-written config is held to the same rule as a rendered one
        problem = base_url_problem(self.base_url, bool(self.allow_link_local))
        if problem:
            raise ValueError(f"baseUrl: {problem}")
        return self


class RouterTarget(WireModel):
    provider: str = Field(description="Provider name.")
    model: str = Field(description="model_ref in that provider.")
    weight: int = Field(description="Effective weight now (0: not routed).", ge=0)
    tool_only: bool = Field(default=False, description="Only tool-bearing requests.")
    stage: Stage = Field(default=Stage.CATALOG_ONLY, description="Promotion stage.")


class RouterGroup(WireModel):
    name: str = Field(description="Caller-facing model name.")
    strategy: Strategy = Field(default=Strategy.WEIGHTED, description="weighted or static.")
    restricted: bool = Field(
        default=False, description="Only its own callers; bridges unproven ok."
    )
    caller_secret: str | None = Field(default=None, description="Secret of accepted callers.")
    fallback_max_attempts: int = Field(default=2, description="Targets tried per request.", ge=1)
    sessions: Sessions = Field(default_factory=Sessions, description="Session settings.")
    require_usage: bool = Field(default=True, description="Ask for usage where proven.")
    targets: list[RouterTarget] = Field(default_factory=list, description="Targets.")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        problem = group_name_problem(name)
        if problem:
            raise ValueError(problem)
        return name


class RouterConfig(WireModel):
    api_version: Literal["switchyard.dev/v1alpha1"] = "switchyard.dev/v1alpha1"
    kind: Literal["RouterConfig"] = Field(default="RouterConfig")
    revision: str = Field(default="", description="Content hash; the router reports it in /readyz.")
    namespace: str | None = Field(default=None, description="Namespace the catalog came from.")
    settings: RouterSettings = Field(default_factory=RouterSettings)
    providers: list[RouterProvider] = Field(default_factory=list)
    groups: list[RouterGroup] = Field(default_factory=list)

    def provider(self, name: str) -> RouterProvider | None:
        return next((p for p in self.providers if p.name == name), None)

    def group(self, name: str) -> RouterGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    def canonical_json(self) -> str:
        """Byte-stable JSON of the content (the revision excluded)."""
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        body.pop("revision", None)
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def with_revision(self) -> RouterConfig:
        digest = hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]
        return self.model_copy(update={"revision": digest})

    def to_json(self) -> str:
        """The file the router reads: stable key order, revision included, newline-terminated."""
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
