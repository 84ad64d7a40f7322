"""Pure checks of a reduced reply: does it prove what the task claims?

Each returns None when the reply proves it, or a short fixed note saying why not (never the
reply text itself).
"""

from __future__ import annotations

import json
from typing import Any

from .dialects import Reply


def normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


def has_text(reply: Reply, expected: str) -> str | None:
    if not reply.text.strip():
        return "empty content"
    if normalize(expected) not in normalize(reply.text):
        return "expected text missing"
    return None


def within_cap(reply: Reply, cap: int) -> str | None:
    """A cap is honoured when reported output tokens (or, lacking usage, words) fit in it."""
    if reply.output_tokens is not None:
        spent = reply.output_tokens
        if spent > cap:
            return f"{spent} output tokens over a cap of {cap}"
        return None
    words = len(reply.text.split())
    if words > cap + 1 or len(reply.text) > 24 * cap:
        return f"about {words} words back under a cap of {cap} (no usage reported)"
    return None


def tool_called(reply: Reply, name: str, required_arg: str | None) -> str | None:
    if not reply.tool_calls:
        return "no tool call"
    call = next((c for c in reply.tool_calls if c.name == name), None)
    if call is None:
        return "a different tool was called"
    if not isinstance(call.arguments, dict):
        return "tool arguments are not a JSON object"
    if required_arg is not None and not isinstance(call.arguments.get(required_arg), str):
        return f"tool arguments lack {required_arg}"
    return None


def parallel_calls(reply: Reply, at_least: int = 2) -> str | None:
    """Parallel tool calls: one assistant turn carrying `at_least` calls, every one with a
    JSON object for arguments."""
    if not reply.tool_calls:
        return "no tool call"
    if len(reply.tool_calls) < at_least:
        return f"{len(reply.tool_calls)} tool call in the turn, not {at_least} or more"
    if not all(isinstance(c.arguments, dict) for c in reply.tool_calls):
        return "tool arguments are not a JSON object"
    return None


def matches_schema(text: str, schema: dict[str, Any]) -> str | None:
    """Just enough JSON-schema checking for the probe's flat object schema."""
    try:
        value = json.loads(text)
    except ValueError:
        return "content is not JSON"
    if not isinstance(value, dict):
        return "content is not a JSON object"
    props: dict[str, Any] = schema.get("properties", {})
    missing = [k for k in schema.get("required", []) if k not in value]
    if missing:
        return "required keys missing"
    if schema.get("additionalProperties") is False and set(value) - set(props):
        return "keys outside the schema"
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
    }
    for key, prop in props.items():
        if key in value and prop.get("type") in types:
            item = value[key]
            if isinstance(item, bool) and prop["type"] != "boolean":
                return f"{key} has the wrong type"
            if not isinstance(item, types[prop["type"]]):
                return f"{key} has the wrong type"
    return None


def usage_plausible(reply: Reply, cap: int, max_input: int) -> str | None:
    if not reply.has_usage:
        return "usage missing"
    assert reply.input_tokens is not None and reply.output_tokens is not None
    if not 0 < reply.input_tokens <= max_input:
        return "input tokens implausible"
    if not 0 <= reply.output_tokens <= cap:
        return "output tokens implausible"
    if reply.text and reply.output_tokens == 0:
        return "output tokens zero for a non-empty reply"
    return None
