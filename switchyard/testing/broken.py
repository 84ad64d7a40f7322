"""Broken upstream replies and stream events, as a faulty provider or proxy sends them: JSON cut
in half, a JSON array or a bare scalar where an object belongs, fields of the wrong type (the
reply list, everything nested, or just the usage), negative token counts."""

from __future__ import annotations

from typing import Any

import orjson

# a broken whole reply (Behaviour.malformed_reply)
REPLY_MODES = (
    "truncated", "array", "scalar", "wrong-types", "deep-types", "usage-types", "negative-usage",
)  # fmt: skip
# a broken stream event (MidStream.mode) that ends the stream
EVENT_MODES = ("malformed", "array", "scalar")
# events rewritten in a stream that goes on to its end: the one at the break (deep-types) or
# every event that reports usage
REWRITTEN = ("deep-types", "usage-types", "negative-usage")
REPLY_LISTS = ("choices", "output", "content", "candidates")
USAGE_KEYS = ("usage", "usageMetadata")
ABSURD = 2**62  # a token count no reply ever has (and still a 64-bit JSON integer)
KEEP = ("type", "object")  # event and object discriminators stay, so readers go deeper


def scrambled(value: Any, depth: int = 0) -> Any:
    """``value`` with every leaf of another JSON kind (strings become numbers, numbers strings,
    lists of scalars a number); objects and lists of objects keep their shape."""
    if isinstance(value, dict):
        return {k: v if k in KEEP else scrambled(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return [scrambled(v, depth + 1) for v in value]
        return 5
    if isinstance(value, bool) or value is None:
        return "yes"
    if isinstance(value, int | float):
        return str(value)
    return 5


def negative(value: Any) -> Any:
    """Token counts below zero (and absurdly large), everything else unchanged."""
    if isinstance(value, dict):
        return {k: negative(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return -value - 1 if value % 2 == 0 else ABSURD
    return value


def _usage(data: dict[str, Any], change: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in USAGE_KEYS:
            out[key] = change(value)
        elif isinstance(value, dict):
            out[key] = _usage(value, change)  # response.usage, message.usage inside events
        else:
            out[key] = value
    return out


def broken_json(data: Any, how: str) -> bytes:
    """The bytes of ``data`` (a reply or an event's JSON) broken the ``how`` way."""
    if how in ("truncated", "malformed"):
        raw = orjson.dumps(data)
        return raw[: max(1, len(raw) // 2)]
    if how == "array":
        return orjson.dumps([data])
    if how == "scalar":
        return b'"upstream says hello"'
    if how == "wrong-types":
        return orjson.dumps({k: 5 if k in REPLY_LISTS else v for k, v in data.items()})
    if how == "deep-types":
        return orjson.dumps(scrambled(data))
    if how == "usage-types":
        return orjson.dumps(_usage(data, scrambled))
    return orjson.dumps(_usage(data, negative))


def broken_frame(frame: bytes, how: str) -> bytes:
    """An SSE frame whose ``data:`` JSON is broken the ``how`` way."""
    head, _, data = frame.partition(b"data: ")
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return frame  # [DONE]
    return head + b"data: " + broken_json(parsed, how) + b"\n\n"


def has_usage(frame: bytes) -> bool:
    return any(f'"{k}":'.encode() in frame for k in USAGE_KEYS)


def rewritten(mode: str, index: int, cut: int, frame: bytes) -> bool:
    """True when the event at ``index`` of a stream broken the ``mode`` way is rewritten."""
    return index == cut if mode == "deep-types" else has_usage(frame)
