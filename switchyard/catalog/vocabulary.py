"""The shared vocabulary: every enum the operator, probes and router agree on."""

from __future__ import annotations

from enum import StrEnum


class Dialect(StrEnum):
    """A dialect: the wire contract a provider endpoint (or a caller) speaks."""

    OPENAI_CHAT = "openai-chat"
    OPENAI_RESPONSES = "openai-responses"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"  # Gemini generateContent (Gemini API and Vertex AI)


class ReasoningControl(StrEnum):
    """How a target is asked for reasoning: the control a reasoning-effort probe proved.

    The translation of each control to body fields lives once, in ``switchyard.wire.reasoning``.
    """

    OPENAI_EFFORT = "openai-effort"
    OPENROUTER_EFFORT = "openrouter-effort"
    ANTHROPIC_BUDGET = "anthropic-budget"
    GEMINI_BUDGET = "gemini-budget"


class Modality(StrEnum):
    """What a model produces (declared on a Provider model; inputs are proven by probes)."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"


class AuthScheme(StrEnum):
    BEARER = "bearer"
    X_API_KEY = "x-api-key"
    X_GOOG_API_KEY = "x-goog-api-key"  # the Gemini API's key header
    AWS_SIGV4 = "aws-sigv4"  # Bedrock: requests signed with AWS credentials (botocore)
    GOOGLE_OAUTH = "google-oauth"  # Vertex AI: OAuth access tokens (google-auth)
    NONE = "none"


CLOUD_SCHEMES = frozenset({AuthScheme.AWS_SIGV4, AuthScheme.GOOGLE_OAUTH})


class Platform(StrEnum):
    """Where a dialect is served: the vendor's own API, Amazon Bedrock or Google Vertex AI."""

    DIRECT = "direct"
    BEDROCK = "bedrock"
    VERTEX = "vertex"


class Locality(StrEnum):
    REMOTE = "remote"
    LOCAL = "local"


class Capability(StrEnum):
    """What a target may be trusted with, once evidence on its own dialect proves it.

    Every input modality is a need: a request carrying an image, audio, a file (document) or
    video part goes only to targets with evidence for it. No probe task proves videoInput yet,
    so video requests find no target until one exists.

    parallelToolCalls (two or more tool calls in one turn) is needed only by requests that ask
    for parallel calls explicitly and reach the target through a bridge.
    """

    TEXT = "text"
    STREAMING = "streaming"
    TOOLS = "tools"
    TOOL_CHOICE = "toolChoice"
    PARALLEL_TOOL_CALLS = "parallelToolCalls"
    STRUCTURED_OUTPUTS = "structuredOutputs"
    IMAGE_INPUT = "imageInput"
    AUDIO_INPUT = "audioInput"
    FILE_INPUT = "fileInput"  # documents: PDF, plain text and other files
    VIDEO_INPUT = "videoInput"
    REASONING = "reasoning"
    USAGE = "usage"
    LARGE_PAYLOAD = "largePayload"


class ProbeTask(StrEnum):
    TEXT = "text"
    MAX_TOKENS_CAP = "max-tokens-cap"
    AUTO_TOOLS = "auto-tools"
    FORCED_TOOLS = "forced-tools"
    PARALLEL_TOOLS = "parallel-tools"
    STRUCTURED_OUTPUTS = "structured-outputs"
    STREAMING = "streaming"
    IMAGE_INPUT = "image-input"
    AUDIO_INPUT = "audio-input"
    FILE_INPUT = "file-input"
    REASONING_EFFORT = "reasoning-effort"
    USAGE = "usage"
    LARGE_PAYLOAD = "large-payload"
    HOSTED_TOOLS = "hosted-tools"
    ACCESS = "access"


class ProbeResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    INFO = "info"


class Layer(StrEnum):
    DIRECT = "direct"
    ROUTER = "router"


class Executor(StrEnum):
    """Who runs a SmokeRun's probes."""

    JOB = "job"  # the operator, as a Kubernetes Job
    INLINE = "inline"  # the operator, as a child process
    EXTERNAL = "external"  # someone else (switchyard probe --output smokerun); status via API


class Stage(StrEnum):
    """Promotion stage of one ModelGroup target."""

    CATALOG_ONLY = "CatalogOnly"
    SMOKE_ONLY = "SmokeOnly"
    LIMITED = "Limited"
    ACTIVE = "Active"
    ROLLED_BACK = "RolledBack"


class Strategy(StrEnum):
    WEIGHTED = "weighted"
    STATIC = "static"


class ErrorClass(StrEnum):
    """Sanitized error classes: the only failure vocabulary shown in status, logs and metrics."""

    AUTH_FAILED = "AuthFailed"
    ENTITLEMENT = "Entitlement"
    FORBIDDEN = "Forbidden"
    MODEL_NOT_FOUND = "ModelNotFound"
    RATE_LIMITED = "RateLimited"
    UPSTREAM_ERROR = "UpstreamError"
    TIMEOUT = "Timeout"
    CONNECT_ERROR = "ConnectError"
    BAD_RESPONSE = "BadResponse"
    BAD_REQUEST = "BadRequest"


class AccessFailure(StrEnum):
    """The error classes that block a target until new evidence passes."""

    AUTH_FAILED = "AuthFailed"
    ENTITLEMENT = "Entitlement"
    FORBIDDEN = "Forbidden"
    MODEL_NOT_FOUND = "ModelNotFound"


ACCESS_FAILURES: frozenset[str] = frozenset(a.value for a in AccessFailure)


class BridgeDirection(StrEnum):
    """A translation from a caller's dialect to a provider's dialect (camelCase as in the CRDs)."""

    RESPONSES_TO_CHAT = "responsesToChat"
    CHAT_TO_RESPONSES = "chatToResponses"
    MESSAGES_TO_CHAT = "messagesToChat"
    CHAT_TO_MESSAGES = "chatToMessages"
    CHAT_TO_GOOGLE = "chatToGoogle"


# inbound dialect, provider dialect -> the bridge that connects them
BRIDGES: dict[tuple[Dialect, Dialect], BridgeDirection] = {
    (Dialect.OPENAI_RESPONSES, Dialect.OPENAI_CHAT): BridgeDirection.RESPONSES_TO_CHAT,
    (Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES): BridgeDirection.CHAT_TO_RESPONSES,
    (Dialect.ANTHROPIC, Dialect.OPENAI_CHAT): BridgeDirection.MESSAGES_TO_CHAT,
    (Dialect.OPENAI_CHAT, Dialect.ANTHROPIC): BridgeDirection.CHAT_TO_MESSAGES,
    (Dialect.OPENAI_CHAT, Dialect.GOOGLE): BridgeDirection.CHAT_TO_GOOGLE,
}


def bridge_for(inbound: Dialect, provider: Dialect) -> BridgeDirection | None:
    """The bridge a caller of `inbound` needs to reach a `provider`-dialect target, if any exists."""
    return BRIDGES.get((inbound, provider))


def bridge_endpoints(direction: BridgeDirection) -> tuple[Dialect, Dialect]:
    """(inbound dialect, provider dialect) of a bridge."""
    for pair, d in BRIDGES.items():
        if d is direction:
            return pair
    raise KeyError(direction)  # pragma: no cover - every direction is in BRIDGES


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


# Probe task -> the capability a pass proves. max-tokens-cap and access are handled apart: the
# first sets honorsMaxTokens, the second only ever blocks.
TASK_PROVES: dict[ProbeTask, Capability] = {
    ProbeTask.TEXT: Capability.TEXT,
    ProbeTask.AUTO_TOOLS: Capability.TOOLS,
    ProbeTask.FORCED_TOOLS: Capability.TOOL_CHOICE,
    ProbeTask.PARALLEL_TOOLS: Capability.PARALLEL_TOOL_CALLS,
    ProbeTask.STRUCTURED_OUTPUTS: Capability.STRUCTURED_OUTPUTS,
    ProbeTask.STREAMING: Capability.STREAMING,
    ProbeTask.IMAGE_INPUT: Capability.IMAGE_INPUT,
    ProbeTask.AUDIO_INPUT: Capability.AUDIO_INPUT,
    ProbeTask.FILE_INPUT: Capability.FILE_INPUT,
    ProbeTask.REASONING_EFFORT: Capability.REASONING,
    ProbeTask.USAGE: Capability.USAGE,
    ProbeTask.LARGE_PAYLOAD: Capability.LARGE_PAYLOAD,
}

# What an open group routes to a target only once a router-layer smoke (the same request, sent
# through the router to that target) passed as well as the direct one (003: image input "only
# after direct and router-level image smokes pass"; large payloads "only after direct upstream
# and router-level smokes pass"; reasoning "only after the same reasoning request passes through
# the router"). Restricted (smoke) groups route them on direct evidence: that is how the
# router-layer evidence is gathered.
ROUTER_PROOF: frozenset[Capability] = frozenset(
    {Capability.IMAGE_INPUT, Capability.LARGE_PAYLOAD, Capability.REASONING}
)

# What a request needs only when a bridge carries it. A caller that asks for parallel tool calls
# explicitly (Chat/Responses ``parallel_tool_calls: true``, Messages
# ``tool_choice.disable_parallel_tool_use: false``) needs ``parallelToolCalls`` proven through the
# bridge; natively the request reaches the target in the caller's own dialect, with the caller's
# own field, so the target answers it exactly as it would without the router.
BRIDGE_ONLY: frozenset[Capability] = frozenset({Capability.PARALLEL_TOOL_CALLS})
