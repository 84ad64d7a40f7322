"""Names every component agrees on: paths per dialect and the router's response headers.

The fake upstream (``switchyard.testing``) may import these constants; it must not import
anything else of ``wire`` (a test double must not share the code it checks).
"""

from __future__ import annotations

from switchyard.catalog import AuthScheme, Dialect

# Appended to a provider's base URL (which ends in its API version, e.g. ``.../v1``).
UPSTREAM_PATH: dict[Dialect, str] = {
    Dialect.OPENAI_CHAT: "/chat/completions",
    Dialect.OPENAI_RESPONSES: "/responses",
    Dialect.ANTHROPIC: "/messages",
    # Gemini: the model and the method are part of the path (``google_path``)
    Dialect.GOOGLE: "/models",
}
# The router serves each dialect under /v1, like the reference APIs (Gemini callers name the
# group in the path: POST /v1/models/{group}:generateContent, also under /v1beta).
ROUTER_PREFIX = "/v1"
ROUTER_PATH: dict[Dialect, str] = {d: ROUTER_PREFIX + p for d, p in UPSTREAM_PATH.items()}
ROUTER_PATH[Dialect.GOOGLE] = ROUTER_PREFIX + "/models/{target:[^/].*}"
GOOGLE_BETA_ROUTE = "/v1beta/models/{target:[^/].*}"
GOOGLE_GENERATE = "generateContent"
GOOGLE_STREAM = "streamGenerateContent"
GOOGLE_SSE_QUERY = "alt=sse"  # without it the stream is one JSON array, not SSE

# How each dialect's reference API takes a key when nothing else is configured.
DEFAULT_AUTH: dict[Dialect, AuthScheme] = {
    Dialect.OPENAI_CHAT: AuthScheme.BEARER,
    Dialect.OPENAI_RESPONSES: AuthScheme.BEARER,
    Dialect.ANTHROPIC: AuthScheme.X_API_KEY,
    Dialect.GOOGLE: AuthScheme.X_GOOG_API_KEY,
}
ANTHROPIC_VERSION = "2023-06-01"
# Headers the dialect's reference API requires on every request.
VERSION_HEADERS: dict[Dialect, dict[str, str]] = {
    Dialect.ANTHROPIC: {"anthropic-version": ANTHROPIC_VERSION},
}
# Caller headers the router forwards unchanged on native (unbridged) requests.
FORWARDED_HEADERS: dict[Dialect, tuple[str, ...]] = {
    Dialect.OPENAI_CHAT: (),
    Dialect.OPENAI_RESPONSES: ("openai-beta",),
    Dialect.ANTHROPIC: ("anthropic-version", "anthropic-beta"),
    Dialect.GOOGLE: (),
}
USER_AGENT = "switchyard/0.1"
# The fields of Gemini's Schema object (function parameters, responseSchema): the API refuses
# any other, so the router leaves others out and the fake upstream refuses them as the API does.
GEMINI_SCHEMA_FIELDS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
        "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
        "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum",
        "maximum",
    }
)  # fmt: skip

# What the router tells a caller about an answer (router-layer probes read these back).
UPSTREAM_HEADER = "x-switchyard-upstream"  # provider/model that served the request
BRIDGE_HEADER = "x-switchyard-bridge"  # the bridge direction, when one translated
ATTEMPTS_HEADER = "x-switchyard-attempts"  # upstream attempts so far; > 1 means fallback
# What the operator's router-level smokes send: the one target (provider/model) of the group
# that must serve, judged as in a restricted group (accepted with the operator's token only).
PIN_HEADER = "x-switchyard-pin"


def google_path(model: str, stream: bool) -> str:
    """The Gemini method path for ``model`` (appended to a base URL ending in its version);
    a model id written as the API's resource name (``models/...``) is accepted too."""
    model = model.removeprefix("models/")
    if stream:
        return f"/models/{model}:{GOOGLE_STREAM}?{GOOGLE_SSE_QUERY}"
    return f"/models/{model}:{GOOGLE_GENERATE}"
