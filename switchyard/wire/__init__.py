"""What is true of each dialect on the wire, once: paths, headers and auth, the failure
classifier, error bodies and stream error events, usage meaning, SSE, stream readers, reasoning
controls, explicit parallel tool-call asks and body preparation. Pure (no I/O); the router, the bridges and the probes share it.
See docs/wire.md for the tables."""

from .body import output_cap, prepare_body, upstream_request, without_storage
from .classify import MAX_RETRY_AFTER, PEEK_BYTES, classify, retry_after
from .errors import (
    STATUS,
    error_body,
    error_type,
    http_error_body,
    status_for,
    stream_error,
    upstream_message,
)
from .headers import auth_headers, caller_headers, provider_headers, request_headers
from .names import (
    ANTHROPIC_VERSION,
    ATTEMPTS_HEADER,
    BRIDGE_HEADER,
    DEFAULT_AUTH,
    FORWARDED_HEADERS,
    GOOGLE_BETA_ROUTE,
    PIN_HEADER,
    ROUTER_PATH,
    ROUTER_PREFIX,
    UPSTREAM_HEADER,
    UPSTREAM_PATH,
    USER_AGENT,
    VERSION_HEADERS,
    google_path,
)
from .parallel import ask_parallel_tools, asks_parallel_tools
from .refusal import RequestRefused
from .replies import reply_ok
from .request_shapes import REQUEST_SHAPES, request_type_problem
from .sse import (
    DONE,
    MALFORMED,
    MAX_EVENT_BYTES,
    SSEEvent,
    SSEParser,
    complete_prefix,
    encode,
    frame,
)
from .streams import ChatStreamReader, StreamReader, stream_reader
from .text_shape import MAX_LEARNS, TextShape
from .usage import (
    AnthropicUsageMerger,
    Usage,
    anthropic_usage,
    count,
    google_usage,
    openai_chat_usage,
    openai_responses_usage,
    reply_usage,
)

__all__ = [
    "ANTHROPIC_VERSION",
    "ATTEMPTS_HEADER",
    "BRIDGE_HEADER",
    "DEFAULT_AUTH",
    "DONE",
    "FORWARDED_HEADERS",
    "GOOGLE_BETA_ROUTE",
    "MALFORMED",
    "MAX_EVENT_BYTES",
    "MAX_LEARNS",
    "MAX_RETRY_AFTER",
    "PEEK_BYTES",
    "PIN_HEADER",
    "REQUEST_SHAPES",
    "ROUTER_PATH",
    "ROUTER_PREFIX",
    "STATUS",
    "UPSTREAM_HEADER",
    "UPSTREAM_PATH",
    "USER_AGENT",
    "VERSION_HEADERS",
    "AnthropicUsageMerger",
    "ChatStreamReader",
    "RequestRefused",
    "SSEEvent",
    "SSEParser",
    "StreamReader",
    "TextShape",
    "Usage",
    "anthropic_usage",
    "ask_parallel_tools",
    "asks_parallel_tools",
    "auth_headers",
    "caller_headers",
    "classify",
    "complete_prefix",
    "count",
    "encode",
    "error_body",
    "error_type",
    "frame",
    "google_path",
    "google_usage",
    "http_error_body",
    "openai_chat_usage",
    "openai_responses_usage",
    "output_cap",
    "prepare_body",
    "provider_headers",
    "reply_ok",
    "reply_usage",
    "request_headers",
    "request_type_problem",
    "retry_after",
    "status_for",
    "stream_error",
    "stream_reader",
    "upstream_message",
    "upstream_request",
    "without_storage",
]
