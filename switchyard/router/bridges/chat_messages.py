"""Chat Completions messages -> other skins' shapes: shared request pieces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import JSON, BridgeContext, BridgeRefused
from .policy import Policy
from .reading import as_dict, as_list, text_of


def read_plain(body: JSON, ctx: BridgeContext, policy: Policy) -> tuple[list[str], list[JSON]]:
    """The opening of a bridge from Chat to a skin with one plain answer per request: the field
    policy (its drops kept on ``ctx``), the shapes such a skin cannot honour refused, and the
    leading system text split from the turns."""
    ctx.dropped[:] = policy.apply(body)
    check_plain(body, policy.direction.value)
    return split_system(body.get("messages") or [])


def split_system(messages: list[Any]) -> tuple[list[str], list[JSON]]:
    """Leading system/developer messages become instructions; the rest stays in order."""
    system: list[str] = []
    rest: list[JSON] = []
    for i, raw in enumerate(as_list(messages, "messages")):
        message = as_dict(raw, f"messages[{i}]")
        if not rest and message.get("role") in ("system", "developer"):
            system.append(text_of(message.get("content"), f"messages[{i}]"))
        else:
            rest.append(message)
    return system, rest


def add_turn(turns: list[JSON], role: str, key: str, items: list[JSON]) -> None:
    """Append a turn, merged into the last one when it has the same role (Messages and Gemini
    want roles to alternate); ``key`` names the turn's list of blocks or parts."""
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(items)
    else:
        turns.append({"role": role, key: items})


def image_url(part: JSON, i: int) -> tuple[str, str | None]:
    image = part.get("image_url")
    if isinstance(image, str):
        return image, None
    image = as_dict(image, f"messages[{i}] image_url")
    url = image.get("url")
    if not isinstance(url, str) or not url:
        raise BridgeRefused(f"messages[{i}]: image_url.url is required")
    detail = image.get("detail")
    return url, detail if isinstance(detail, str) else None


def user_parts(
    content: Any,
    i: int,
    direction: str,
    text: Callable[[str], JSON],
    image: Callable[[str, str | None, str], JSON],
) -> list[JSON]:
    """A user message's content as the target skin's parts: a string is one text part, text and
    image_url parts map through ``text`` and ``image`` (url, detail, where), others are refused."""
    if isinstance(content, str):
        return [text(content)]
    parts: list[JSON] = []
    for part in as_list(content, f"messages[{i}].content"):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append(text(str(part.get("text", ""))))
        elif kind == "image_url":
            url, detail = image_url(part, i)
            parts.append(image(url, detail, f"messages[{i}]"))
        else:
            raise BridgeRefused(
                f"messages[{i}]: content part {kind!r} is not supported through {direction}"
            )
    return parts


def function_tools(tools: Any, direction: str) -> list[JSON]:
    """Chat function tools as (name, description, parameters, strict) dicts."""
    out: list[JSON] = []
    for i, raw in enumerate(as_list(tools, "tools")):
        tool = as_dict(raw, f"tools[{i}]")
        if tool.get("type") != "function":
            raise BridgeRefused(
                f"tools[{i}]: type {tool.get('type')!r} is not supported through {direction}"
            )
        fn = as_dict(tool.get("function"), f"tools[{i}].function")
        if not fn.get("name"):
            raise BridgeRefused(f"tools[{i}].function.name is required")
        out.append(fn)
    return out


def chat_tool_choice(choice: Any) -> tuple[str, str | None]:
    """(mode, function name): mode is auto | none | required | function."""
    if choice in ("auto", "none", "required"):
        return str(choice), None
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        if name:
            return "function", str(name)
    raise BridgeRefused("tool_choice must be auto, none, required or a function")


def output_cap(body: JSON) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BridgeRefused("max_tokens must be a positive integer")
    return value


def check_plain(body: JSON, direction: str) -> None:
    """Shapes no non-Chat upstream can honour the way a Chat caller means them."""
    if body.get("n") not in (None, 1):
        raise BridgeRefused(f"n > 1 is not supported through {direction}")
    fmt = body.get("response_format")
    if fmt is not None and as_dict(fmt, "response_format").get("type") != "text":
        raise BridgeRefused(
            f"structured output (response_format) is not supported through {direction}"
        )
