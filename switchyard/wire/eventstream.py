"""Bedrock streams: AWS event-stream frames read with botocore's own parser, turned into the
Anthropic Messages events they carry, so relays, readers and bridges see one event grammar.

A ``chunk`` event's payload is ``{"bytes": base64(<Messages event JSON>)}``. An exception
message (``:message-type: exception``) becomes a Messages ``error`` event with a fixed sentence
(no upstream text) and the Anthropic error type of the exception.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from botocore.eventstream import EventStreamBuffer, ParserError

from .sse import MALFORMED, MAX_EVENT_BYTES, SSEEvent, SSEParser

# Bedrock stream exception -> the Anthropic error type a native stream would carry
EXCEPTION_TYPES: dict[str, str] = {
    "throttlingException": "rate_limit_error",
    "serviceUnavailableException": "overloaded_error",
    "modelTimeoutException": "timeout_error",
    "validationException": "invalid_request_error",
}


class BedrockEvents:
    """Feed event-stream bytes, get the Messages events inside (same interface as SSEParser)."""

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()
        self._broken = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if self._broken:
            return []
        self._buffer.add_data(chunk)
        events: list[SSEEvent] = []
        try:
            for message in self._buffer:
                events.append(_event(message.headers, message.payload))
        except ParserError:
            self._broken = True
            events.append(MALFORMED)
        return events

    def flush(self) -> list[SSEEvent]:
        return []


def _event(headers: dict[str, Any], payload: bytes) -> SSEEvent:
    if headers.get(":message-type") == "exception":
        kind = EXCEPTION_TYPES.get(str(headers.get(":exception-type")), "api_error")
        error = {"type": "error", "error": {"type": kind, "message": "upstream stream failed"}}
        return SSEEvent(data=orjson.dumps(error).decode(), event="error")
    if headers.get(":event-type") != "chunk":
        return MALFORMED
    try:
        inner = base64.b64decode(orjson.loads(payload)["bytes"], validate=True)
        data = orjson.loads(inner)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return MALFORMED
    name = data.get("type") if isinstance(data, dict) else None
    return SSEEvent(data=inner.decode(), event=name if isinstance(name, str) else None)


def stream_parser(bedrock: bool, limit: int = MAX_EVENT_BYTES) -> SSEParser | BedrockEvents:
    """What turns an upstream stream's bytes into events on its platform; `limit`: the most an
    unfinished SSE event may hold (botocore bounds a Bedrock frame at 16 MiB itself)."""
    return BedrockEvents() if bedrock else SSEParser(limit)
