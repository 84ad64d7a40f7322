"""What every dialect's wire module provides, and helpers they share."""

from __future__ import annotations

import os
import time
from typing import Any, Protocol

import orjson

from switchyard.catalog import Dialect

from .media import Media
from .simulate import Ask, Reply


class Wire(Protocol):
    """One dialect's request parsing, response shapes, stream events and error bodies."""

    dialect: Dialect
    suffix: str  # the path the dialect is served on, relative to the base URL

    def parse(self, body: dict[str, Any]) -> Ask: ...

    def complete(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> list[bytes]: ...

    def error(self, kind: str, message: str) -> dict[str, Any]: ...

    def stream_error(self, kind: str, message: str) -> bytes: ...


def new_id(prefix: str) -> str:
    return prefix + os.urandom(12).hex()


def now() -> int:
    return int(time.time())


def frame(data: Any, event: str | None = None) -> bytes:
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + orjson.dumps(data) + b"\n\n"


def common_fields(body: dict[str, Any], media: Media) -> dict[str, Any]:
    """The Ask fields every dialect reads alike: the model, whether to stream, the media sent."""
    return {
        "model": str(body.get("model", "")),
        "stream": bool(body.get("stream")),
        "media": frozenset(media.kinds),
        "media_text": media.text,
    }


def has_part(messages: Any, kind: str) -> bool:
    """Whether a message (or Responses item) holds a content part of type ``kind``."""
    for m in messages if isinstance(messages, list) else []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") == kind for p in content
        ):
            return True
    return False


def input_size(*parts: Any) -> int:
    return sum(len(orjson.dumps(p)) for p in parts if p is not None)


def cap_of(body: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def schema_of(fmt: Any, holder: str | None = None) -> dict[str, Any] | None:
    """The JSON schema a structured-output request asks for ({} for plain JSON mode), or None.
    ``holder`` names the object inside ``fmt`` that carries ``schema`` (Chat: json_schema)."""
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_object":
        return {}
    if fmt.get("type") != "json_schema":
        return None
    inner = fmt.get(holder) if holder else fmt
    schema = inner.get("schema") if isinstance(inner, dict) else None
    return schema if isinstance(schema, dict) and schema else {"type": "object"}
