"""Error bodies and stream error events in each dialect: the only errors callers ever see.

One shape per class per dialect on every path (native, bridged, JSON, stream). The HTTP status of
a class is fixed (``STATUS``), and the error ``type`` follows from that status in the dialect's
own vocabulary, so a stream error event carries the same type the JSON error would have had.
Messages are composed from catalog names and error classes; no upstream text reaches them.
"""

from __future__ import annotations

from typing import Any

import orjson

from switchyard.catalog import Dialect, ErrorClass

STATUS: dict[ErrorClass, int] = {
    ErrorClass.BAD_REQUEST: 400,
    ErrorClass.RATE_LIMITED: 429,
    ErrorClass.TIMEOUT: 504,
    # The caller's credentials are fine when the provider's are not: a gateway error.
    ErrorClass.AUTH_FAILED: 502,
    ErrorClass.ENTITLEMENT: 502,
    ErrorClass.FORBIDDEN: 502,
    ErrorClass.MODEL_NOT_FOUND: 502,
    ErrorClass.UPSTREAM_ERROR: 502,
    ErrorClass.CONNECT_ERROR: 502,
    ErrorClass.BAD_RESPONSE: 502,
}

OPENAI_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}
ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
}

# google.rpc.Code names, as Google APIs write them in error.status
GOOGLE_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def status_for(error_class: ErrorClass) -> int:
    return STATUS[error_class]


def error_type(dialect: Dialect, status: int) -> str:
    """The dialect's error ``type`` for an HTTP status (Google: the ``status`` name)."""
    if dialect is Dialect.GOOGLE:
        return GOOGLE_STATUS.get(status, "UNAVAILABLE" if status >= 500 else "INVALID_ARGUMENT")
    if dialect is Dialect.ANTHROPIC:
        return ANTHROPIC_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
    return OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def http_error_body(dialect: Dialect, status: int, code: str, message: str) -> dict[str, Any]:
    """An error body for any status (caller errors too: 401, 403, 404, 413 ...)."""
    etype = error_type(dialect, status)
    if dialect is Dialect.GOOGLE:
        return {"error": {"code": status, "message": message, "status": etype}}
    if dialect is Dialect.ANTHROPIC:
        return {"type": "error", "error": {"type": etype, "message": message}}
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


def error_body(dialect: Dialect, error_class: ErrorClass, message: str) -> dict[str, Any]:
    return http_error_body(dialect, status_for(error_class), error_class.value, message)


def stream_error(
    dialect: Dialect, error_class: ErrorClass, message: str, sequence_number: int = 0
) -> bytes:
    """The event that ends a stream which broke after bytes reached the caller.

    Chat: a ``data:`` chunk holding the error body (the openai SDK raises it as APIError).
    Responses: the ``error`` event of the streaming reference (code, message, param,
    sequence_number). Messages: ``event: error`` with the error body. Google: a ``data:``
    event holding the error body, as Gemini ends a stream that fails after it started.
    """
    if dialect is Dialect.OPENAI_RESPONSES:
        data = {
            "type": "error",
            "code": error_class.value,
            "message": message,
            "param": None,
            "sequence_number": sequence_number,
        }
        return b"event: error\ndata: " + orjson.dumps(data) + b"\n\n"
    body = error_body(dialect, error_class, message)
    if dialect is Dialect.ANTHROPIC:
        return b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"
    return b"data: " + orjson.dumps(body) + b"\n\n"


def upstream_message(error_class: ErrorClass) -> str:
    """The safe caller-facing sentence for an upstream failure class."""
    return f"upstream request failed ({error_class.value})"
