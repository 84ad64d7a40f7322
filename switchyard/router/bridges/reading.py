"""Reading the caller's body, shared by every bridge: typed access that refuses a wrong shape
with a message safe to show the caller, the plain text of content parts, and the upstream
fields for the reasoning effort the caller asked for."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect
from switchyard.wire import reasoning
from switchyard.wire.reasoning import Effort

from .base import JSON, BridgeContext, BridgeRefused


def text_of(content: Any, what: str) -> str:
    """Plain text from a string or a list of text parts; anything else is refused."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in {"text", "input_text", "output_text"}:
                out.append(str(part.get("text", "")))
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise BridgeRefused(f"{what}: content part {kind!r} is not supported here")
        return "".join(out)
    raise BridgeRefused(f"{what}: content must be a string or a list of parts")


def reasoning_fields(effort: Effort | None, ctx: BridgeContext, upstream: Dialect) -> JSON:
    """The upstream body fields that ask for the caller's reasoning ``effort`` through the
    target's proven control; none when the caller asked for no reasoning."""
    if effort is None:
        return {}
    return reasoning.translate_effort(effort, ctx.reasoning_control, upstream)


def as_dict(value: Any, what: str) -> JSON:
    if not isinstance(value, dict):
        raise BridgeRefused(f"{what} must be an object")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BridgeRefused(f"{what} must be an array")
    return value
