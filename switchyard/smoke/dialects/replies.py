"""Reading replies and event streams strictly: the helpers every adapter's reply parsing
shares, and the errors a stream that breaks its dialect's grammar (or reports a failure) raises."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from switchyard.catalog import SwitchyardError
from switchyard.wire import SSEEvent, Usage

from .base import Reply


class MalformedStreamError(SwitchyardError, ValueError):
    """The event stream broke its dialect's grammar; the message is a short safe note."""


class StreamFailedError(SwitchyardError, ValueError):
    """The stream carried an error event after it started."""


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_arguments(raw: Any) -> Any:
    """Tool arguments arrive as a JSON string (OpenAI) or an object (Anthropic)."""
    import json

    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return None


def expect_dict(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError(f"{what} is not a JSON object")
    return body


def object_event(event: SSEEvent) -> dict[str, Any]:
    """An event of an untyped stream (Chat, Gemini): a JSON object that is not an error."""
    try:
        data = event.json()
    except ValueError:
        raise MalformedStreamError("event data is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedStreamError("event data is not an object")
    if "error" in data:
        raise StreamFailedError("error event in stream")
    return data


def typed_event(event: SSEEvent, failures: Collection[str] = ("error",)) -> dict[str, Any]:
    """An event of a typed stream (Responses, Messages): JSON with a ``type`` that agrees with
    the SSE event name and is none of the dialect's ``failures``; anything else breaks the
    grammar."""
    try:
        data = event.json()
    except ValueError:
        raise MalformedStreamError("event data is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise MalformedStreamError("event without a type")
    if event.event is not None and event.event != data["type"]:
        raise MalformedStreamError("event name and data type disagree")
    if data["type"] in failures:
        raise StreamFailedError("failure event in stream")
    return data


def read_usage(
    reply: Reply, usage: Any, reader: Callable[[Any], Usage | None], details_key: str
) -> None:
    """Token counts in wire.usage meaning, plus the reasoning tokens the dialect reports."""
    reply.set_usage(reader(usage))
    details = usage.get(details_key) if isinstance(usage, dict) else None
    if isinstance(details, dict):
        reply.reasoning_tokens = as_int(details.get("reasoning_tokens"))
