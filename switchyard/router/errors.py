"""Dialect-shaped error bodies and stream error events: the only errors callers ever see.

Messages are composed by the router from catalog names and sanitized error classes; raw
upstream bodies, keys and prompts never reach them.
"""

from __future__ import annotations

from collections.abc import Callable
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
    413: "invalid_request_error",
    429: "rate_limit_error",
}
ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
}


def status_for(error_class: ErrorClass) -> int:
    return STATUS.get(error_class, 502)


def _openai(status: int, code: str, message: str) -> dict[str, Any]:
    etype = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


def _anthropic(status: int, code: str, message: str) -> dict[str, Any]:
    etype = ANTHROPIC_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": etype, "message": message}}


BODIES: dict[Dialect, Callable[[int, str, str], dict[str, Any]]] = {
    Dialect.OPENAI_CHAT: _openai,
    Dialect.OPENAI_RESPONSES: _openai,
    Dialect.ANTHROPIC: _anthropic,
}


def http_error_body(dialect: Dialect, status: int, code: str, message: str) -> dict[str, Any]:
    """An error body for any status (caller errors: 401, 403, 404, 413 ...)."""
    return BODIES[dialect](status, code, message)


def error_body(dialect: Dialect, error_class: ErrorClass, message: str) -> dict[str, Any]:
    return http_error_body(dialect, status_for(error_class), error_class.value, message)


def _chat_event(error_class: ErrorClass, message: str) -> bytes:
    body = _openai(status_for(error_class), error_class.value, message)
    return b"data: " + orjson.dumps(body) + b"\n\n"


def _responses_event(error_class: ErrorClass, message: str) -> bytes:
    data = {
        "type": "error",
        "code": error_class.value,
        "message": message,
        "param": None,
        "sequence_number": 0,
    }
    return b"event: error\ndata: " + orjson.dumps(data) + b"\n\n"


def _anthropic_event(error_class: ErrorClass, message: str) -> bytes:
    body = _anthropic(status_for(error_class), error_class.value, message)
    return b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"


STREAM_EVENTS: dict[Dialect, Callable[[ErrorClass, str], bytes]] = {
    Dialect.OPENAI_CHAT: _chat_event,
    Dialect.OPENAI_RESPONSES: _responses_event,
    Dialect.ANTHROPIC: _anthropic_event,
}


def stream_error(dialect: Dialect, error_class: ErrorClass, message: str) -> bytes:
    """The event that ends a stream which broke after bytes reached the caller."""
    return STREAM_EVENTS[dialect](error_class, message)


def upstream_message(error_class: ErrorClass) -> str:
    """The safe caller-facing sentence for an upstream failure class."""
    return f"upstream request failed ({error_class.value})"
