"""The Provider kind: one dialect of one upstream account, and what evidence proved about it."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .addresses import BASE_URL_PATTERN, base_url_cel, base_url_problem, dns_label_problem
from .base import (
    DECIMAL_PATTERN,
    NAME_PATTERN,
    NOTE_LENGTH,
    Condition,
    OperatorStatus,
    Resource,
    SecretKeyRef,
    WireModel,
)
from .platform import ENVIRONMENT_SCHEMES, PLATFORM_RULES, platform_problem
from .vocabulary import (
    AccessFailure,
    AuthScheme,
    BridgeDirection,
    Capability,
    Dialect,
    Locality,
    Modality,
    Platform,
    ReasoningControl,
    bridge_endpoints,
)


class Auth(WireModel):
    model_config = WireModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "(has(self.scheme) && self.scheme in ['none', 'aws-sigv4', "
                    "'google-oauth']) || has(self.secretRef)",
                    "message": "auth.secretRef is required unless auth.scheme is none, "
                    "aws-sigv4 or google-oauth (those may use the pod's environment)",
                    "fieldPath": ".secretRef",
                },
            ]
        }
    }

    scheme: AuthScheme = Field(
        default=AuthScheme.BEARER,
        description="How the key is sent: bearer (Authorization header), x-api-key, "
        "x-goog-api-key (the Gemini API), aws-sigv4 (platform bedrock: requests signed with "
        "AWS credentials), google-oauth (platform vertex: OAuth access tokens), or none.",
    )
    secret_ref: SecretKeyRef | None = Field(
        default=None,
        description="The Secret key holding the provider API key; for aws-sigv4 the AWS "
        "credentials as JSON (AccessKeyId, SecretAccessKey, optional SessionToken: the "
        "credential_process shape), for google-oauth a service-account JSON key. Omitted for "
        "aws-sigv4/google-oauth: the pod's environment (AWS credential chain incl. IRSA web "
        "identity; Google application default credentials incl. workload identity).",
    )
    key_id: str | None = Field(
        default=None,
        description="Which key this is (e.g. the provider console's key name or a rotation "
        "label), never the key itself: shown in usage rows and metrics instead of anything "
        "secret, so reports and rotations can tell keys apart.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$",
    )

    @model_validator(mode="after")
    def _secret_when_needed(self) -> Auth:
        if self.scheme not in ENVIRONMENT_SCHEMES and self.secret_ref is None:
            raise ValueError(
                "auth.secretRef is required unless auth.scheme is none, aws-sigv4 or google-oauth"
            )
        return self


class Header(WireModel):
    name: str = Field(
        description="HTTP header name sent upstream (never a credential header).",
        pattern=r"^[A-Za-z0-9-]+$",
        max_length=128,
    )
    value: str = Field(description="Header value. Not for secrets.", max_length=1024)

    @model_validator(mode="after")
    def _not_auth(self) -> Header:
        if self.name.lower() in {"authorization", "x-api-key", "api-key", "x-goog-api-key"}:
            raise ValueError("credentials belong in auth.secretRef, not in headers")
        return self


class Pricing(WireModel):
    input_per_million_usd: str = Field(
        description="USD per million input tokens, as a decimal string.", pattern=DECIMAL_PATTERN
    )
    output_per_million_usd: str = Field(
        description="USD per million output tokens, as a decimal string.", pattern=DECIMAL_PATTERN
    )
    source: str | None = Field(default=None, description="Where the price was read.")
    updated: str | None = Field(
        default=None,
        description="Date the price was read (YYYY-MM-DD).",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
    )


class Bridge(WireModel):
    enabled: bool = Field(default=False, description="Allow callers of another dialect through it.")
    validation_notes: str | None = Field(
        default=None,
        description="Free text: how this bridge was validated. Notes never make anything "
        "eligible; evidence does.",
        max_length=NOTE_LENGTH,
    )


class Bridges(WireModel):
    """Bridges let callers of another dialect reach this one; each needs its own evidence."""

    responses_to_chat: Bridge | None = Field(
        default=None, description="/v1/responses callers on an openai-chat provider."
    )
    chat_to_responses: Bridge | None = Field(
        default=None, description="/v1/chat/completions callers on an openai-responses provider."
    )
    messages_to_chat: Bridge | None = Field(
        default=None, description="/v1/messages callers on an openai-chat provider."
    )
    chat_to_messages: Bridge | None = Field(
        default=None, description="/v1/chat/completions callers on an anthropic provider."
    )
    chat_to_google: Bridge | None = Field(
        default=None, description="/v1/chat/completions callers on a google provider."
    )

    def enabled(self) -> list[BridgeDirection]:
        out = []
        for direction in BridgeDirection:
            bridge = getattr(self, field_name(direction.value))
            if bridge is not None and bridge.enabled:
                out.append(direction)
        return out


@functools.cache
def field_name(camel: str) -> str:
    """The Python attribute of a camelCase wire name (capabilities, bridge directions). Cached:
    a render asks it for every capability of every model (36,000 times for 1,000 Providers)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


class EvidencePolicy(WireModel):
    max_age: str = Field(
        default="168h",
        description="Evidence older than this is re-gathered: the operator starts a new "
        "SmokeRun for each model whose newest completed run is older (e.g. 30m, 24h, 7d; "
        "default 168h). Rotating the key Secret re-runs the smokes too.",
        pattern=r"^[1-9][0-9]{0,5}(s|m|h|d)$",
    )

    def max_age_seconds(self) -> int:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[self.max_age[-1]]
        return int(self.max_age[:-1]) * unit


class ProviderModel(WireModel):
    name: str = Field(
        description="The model_ref ModelGroups use.", pattern=NAME_PATTERN, max_length=63
    )
    model: str = Field(description="The served model id upstream.", min_length=1, max_length=256)
    context_window: int | None = Field(
        default=None,
        description="Context window in tokens (default 131072 when unset): a request whose "
        "estimated prompt (request bytes / 4, rounded up by at most 6.25%) exceeds it skips "
        "this target like any other unmet need.",
        ge=1,
    )
    pricing: Pricing | None = Field(
        default=None, description="Per-token prices for cost accounting."
    )
    allow: list[Capability] | None = Field(
        default=None,
        description="Capabilities this dialect may ever serve; evidence outside it is ignored. "
        "Omitted: whatever evidence proves.",
    )
    output_modalities: list[Modality] = Field(
        default_factory=lambda: [Modality.TEXT],
        description="What the model produces (text, image, audio), as declared by the provider; "
        "informational next to the evidence-derived inputs. Default: text.",
        max_length=3,
    )
    force_store_false: bool = Field(
        default=False,
        description="Send store: false upstream on every request (Chat and Responses), whatever "
        "the caller asked, so the provider keeps no conversation. Stateful Responses sessions "
        "(previous_response_id) are then not used for this model.",
    )
    pricing_notes: str | None = Field(
        default=None,
        description="Free text about the price (tiers, cache discounts, the page it came from).",
        max_length=NOTE_LENGTH,
    )
    validation_notes: str | None = Field(
        default=None,
        description="Free text: how this model was validated (smoke runs, known quirks). Notes "
        "never make anything eligible; evidence does.",
        max_length=NOTE_LENGTH,
    )
    bridges: Bridges | None = Field(default=None, description="Bridges from other caller dialects.")


class ProviderSpec(WireModel):
    model_config = WireModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                *PLATFORM_RULES,
                {
                    "rule": "!has(self.models) || self.models.all(m, !has(m.bridges) || "
                    "((!has(m.bridges.responsesToChat) && !has(m.bridges.messagesToChat)) || "
                    "self.dialect == 'openai-chat'))",
                    "message": "responsesToChat and messagesToChat bridges need dialect openai-chat",
                },
                {
                    "rule": "!has(self.models) || self.models.all(m, !has(m.bridges) || "
                    "!has(m.bridges.chatToResponses) || self.dialect == 'openai-responses')",
                    "message": "the chatToResponses bridge needs dialect openai-responses",
                },
                {
                    "rule": "!has(self.models) || self.models.all(m, !has(m.bridges) || "
                    "!has(m.bridges.chatToMessages) || self.dialect == 'anthropic')",
                    "message": "the chatToMessages bridge needs dialect anthropic",
                },
                {
                    "rule": "!has(self.models) || self.models.all(m, !has(m.bridges) || "
                    "!has(m.bridges.chatToGoogle) || self.dialect == 'google')",
                    "message": "the chatToGoogle bridge needs dialect google",
                },
                {
                    "rule": base_url_cel(
                        "self.baseUrl", "(has(self.allowLinkLocal) && self.allowLinkLocal)"
                    ),
                    "message": "baseUrl must not point at a link-local or cloud-metadata "
                    "address (set allowLinkLocal for a provider that really lives there), "
                    "and a numeric host must be a dotted IPv4 or a plain IPv6 address",
                    "fieldPath": ".baseUrl",
                },
            ]
        }
    }

    # before baseUrl: its validator reads the opt-in
    allow_link_local: bool = Field(
        default=False,
        description="Opt-in: baseUrl may be a link-local or cloud-metadata address "
        "(169.254.0.0/16, fe80::/10, metadata.google.internal, ...). Only for a provider that "
        "really lives there; the router sends this provider's key to that address.",
    )
    base_url: str = Field(
        description="Upstream base URL, e.g. https://api.openai.com/v1: http or https, no "
        "user:password@, not link-local or cloud metadata (see allowLinkLocal). Private and "
        "loopback addresses are fine.",
        max_length=2048,
        # the API server checks the pattern; here base_url_problem says what exactly is wrong
        json_schema_extra={"pattern": BASE_URL_PATTERN},
    )
    dialect: Dialect = Field(description="The dialect (API contract) this endpoint speaks.")
    auth: Auth = Field(default_factory=Auth, description="How the router authenticates upstream.")
    headers: list[Header] = Field(
        default_factory=list, description="Extra headers sent upstream.", max_length=32
    )
    locality: Locality = Field(
        default=Locality.REMOTE, description="remote, or local (an endpoint next to the cluster)."
    )
    platform: Platform = Field(
        default=Platform.DIRECT,
        description="Where the dialect is served: direct (the vendor's own API), bedrock "
        "(Anthropic Messages on Amazon Bedrock InvokeModel; needs region and auth aws-sigv4) or "
        "vertex (Anthropic Messages or google on Vertex AI; needs project, region and auth "
        "google-oauth). baseUrl is the platform's regional endpoint.",
    )
    region: str | None = Field(
        default=None,
        description="Cloud region: the AWS region of Bedrock (awsRegion) or the Vertex AI "
        "location (gcpRegion, e.g. us-east5 or global).",
        pattern=r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$",
    )
    project: str | None = Field(
        default=None,
        description="The Google Cloud project id of Vertex AI (gcpProjectId).",
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
    )
    evidence: EvidencePolicy = Field(
        default_factory=EvidencePolicy, description="When evidence goes stale and is re-gathered."
    )
    models: list[ProviderModel] = Field(
        description="Models served on this dialect.", min_length=1, max_length=256
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str, info: ValidationInfo) -> str:
        problem = base_url_problem(url, bool(info.data.get("allow_link_local")))
        if problem:
            raise ValueError(problem)
        return url

    @model_validator(mode="after")
    def _check(self) -> ProviderSpec:
        problem = platform_problem(self.platform, self.dialect, self.auth.scheme, self.region,
                                   self.project)  # fmt: skip
        if problem:
            raise ValueError(problem)
        seen: set[str] = set()
        for i, m in enumerate(self.models):
            if m.name in seen:
                raise ValueError(f"models[{i}].name: duplicate model name {m.name!r}")
            seen.add(m.name)
            for direction in m.bridges.enabled() if m.bridges else []:
                _, target = bridge_endpoints(direction)
                if target is not self.dialect:
                    raise ValueError(
                        f"models[{i}].bridges.{direction.value}: needs dialect {target.value}, "
                        f"not {self.dialect.value}"
                    )
        return self

    def model(self, name: str) -> ProviderModel | None:
        return next((m for m in self.models if m.name == name), None)


class Proof(WireModel):
    smoke_run: str = Field(description="The SmokeRun whose passing row proved it.")
    at: datetime | None = Field(default=None, description="When the passing row was recorded.")
    detail: str | None = Field(
        default=None, description="What exactly passed (reasoning control, schema form, tool)."
    )


class Verified(WireModel):
    """Capabilities proven on one dialect; an omitted capability is not proven."""

    text: Proof | None = Field(default=None, description="Plain text completion.")
    streaming: Proof | None = Field(default=None, description="Well-formed streaming.")
    tools: Proof | None = Field(default=None, description="Function tools chosen automatically.")
    tool_choice: Proof | None = Field(default=None, description="A forced tool_choice.")
    parallel_tool_calls: Proof | None = Field(
        default=None,
        description="Two or more tool calls in one turn (parallel-tools); needed only by "
        "requests that ask for parallel calls explicitly and reach the model through a bridge.",
    )
    structured_outputs: Proof | None = Field(default=None, description="JSON-schema output.")
    image_input: Proof | None = Field(default=None, description="Image input understood.")
    audio_input: Proof | None = Field(default=None, description="Audio input accepted.")
    file_input: Proof | None = Field(
        default=None, description="File (document, PDF) input understood."
    )
    video_input: Proof | None = Field(
        default=None, description="Video input understood (no probe task proves it yet)."
    )
    reasoning: Proof | None = Field(default=None, description="Reasoning effort control.")
    usage: Proof | None = Field(default=None, description="Token usage reported.")
    large_payload: Proof | None = Field(default=None, description="Large coding-agent payloads.")

    def capabilities(self) -> list[Capability]:
        return [c for c in Capability if getattr(self, field_name(c.value)) is not None]

    def proof(self, capability: Capability) -> Proof | None:
        value: Proof | None = getattr(self, field_name(capability.value))
        return value


class HostedToolProof(WireModel):
    name: str = Field(description="Hosted tool type, e.g. web_search.")
    smoke_run: str = Field(description="The SmokeRun whose passing row proved it.")


class BridgeEvidence(WireModel):
    direction: BridgeDirection = Field(description="The bridge this evidence went through.")
    verified: Verified = Field(
        default_factory=Verified, description="Capabilities proven through the router bridge."
    )


class ModelStatus(WireModel):
    name: str = Field(description="The model_ref this status is about.")
    verified: Verified = Field(
        default_factory=Verified, description="Capabilities proven on this dialect, natively."
    )
    router_verified: Verified = Field(
        default_factory=Verified,
        description="Capabilities proven through the router on this dialect (router-layer "
        "rows this target served without a bridge). Open groups route imageInput, "
        "largePayload and reasoning only when proven in both verified and here.",
    )
    hosted_tools: list[HostedToolProof] = Field(
        default_factory=list, description="Hosted tools proven on this dialect."
    )
    honors_max_tokens: bool | None = Field(
        default=None,
        description="From the max-tokens-cap probe; false makes capped requests skip the target.",
    )
    reasoning_control: ReasoningControl | None = Field(
        default=None,
        description="The reasoning control the reasoning proof used (openai-effort, "
        "openrouter-effort, anthropic-budget, gemini-budget); the router writes reasoning "
        "requests in it. Unset when no proof names a known control.",
    )
    access_failure: AccessFailure | None = Field(
        default=None, description="Set while a direct smoke shows an access failure."
    )
    bridges: list[BridgeEvidence] = Field(
        default_factory=list, description="Evidence gathered through bridges, per direction."
    )
    smoke_runs: list[str] = Field(
        default_factory=list, description="SmokeRuns this status was derived from, oldest first."
    )


class ProviderStatus(OperatorStatus):
    observed_generation: int | None = Field(
        default=None, description="The generation last reconciled.", ge=0
    )
    conditions: list[Condition] = Field(default_factory=list, description="Ready, AccessBlocked.")
    models: list[ModelStatus] = Field(default_factory=list, description="Per-model evidence.")

    def model(self, name: str) -> ModelStatus | None:
        return next((m for m in self.models if m.name == name), None)


class Provider(Resource, plural="providers", short_names=("llmp",), names=dns_label_problem):
    """One dialect of one upstream LLM account, and its evidence."""

    kind: Literal["Provider"] = "Provider"
    spec: ProviderSpec
    status: ProviderStatus = Field(default_factory=ProviderStatus)
