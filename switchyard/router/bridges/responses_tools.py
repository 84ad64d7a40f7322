"""Responses tools as clients send them, for a Chat upstream: function tools, namespace tools
(function tools grouped under a name, as Codex sends its multi-agent tools) and custom tools
(free-text input). Chat knows only flat function tools, so namespaces are flattened and custom
tools become functions with one string argument; ``BridgeContext.tools`` remembers what each
upstream name was, so calls go back to the caller under its own names and shapes.
"""

from __future__ import annotations

from typing import Any

import orjson

from .base import JSON, BridgeContext, BridgeRefused, ToolOrigin
from .reading import as_dict, as_list

DIRECTION = "responsesToChat"
CUSTOM_INPUT = "input"  # the one argument of a custom tool seen as a Chat function


def chat_tools(tools: Any, ctx: BridgeContext) -> list[JSON]:
    """Chat function tools for the caller's Responses tools; fills ctx.tools."""
    flat: list[tuple[JSON, str | None, str]] = []  # (tool, namespace, where)
    for i, raw in enumerate(as_list(tools, "tools")):
        tool = as_dict(raw, f"tools[{i}]")
        if tool.get("type") == "namespace":
            ns = tool.get("name")
            if not isinstance(ns, str) or not ns:
                raise BridgeRefused(f"tools[{i}]: a namespace tool needs a name")
            for j, inner in enumerate(as_list(tool.get("tools"), f"tools[{i}].tools")):
                flat.append(
                    (as_dict(inner, f"tools[{i}].tools[{j}]"), ns, f"tools[{i}].tools[{j}]")
                )
        else:
            flat.append((tool, None, f"tools[{i}]"))
    plain = [str(t.get("name")) for t, _, _ in flat]
    out: list[JSON] = []
    for tool, ns, where in flat:
        kind = tool.get("type")
        name = tool.get("name")
        if kind not in ("function", "custom"):
            raise BridgeRefused(
                f"{where}: hosted tool {kind!r} is not supported through {DIRECTION}"
            )
        if not isinstance(name, str) or not name:
            raise BridgeRefused(f"{where}.name is required")
        # plain names read best to the model; a name two namespaces share gets its prefix
        upstream = name if ns is None or plain.count(name) == 1 else f"{ns}__{name}"
        if upstream in ctx.tools:
            raise BridgeRefused(f"{where}: tool name {name!r} is declared twice")
        ctx.tools[upstream] = ToolOrigin(name, ns, kind == "custom")
        fn: JSON = {"name": upstream}
        if tool.get("description") is not None:
            fn["description"] = tool["description"]
        if kind == "custom":
            fn["parameters"] = _custom_parameters(tool, where)
        else:
            fn["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
            if tool.get("strict") is not None:
                fn["strict"] = tool["strict"]
        out.append({"type": "function", "function": fn})
    return out


def _custom_parameters(tool: JSON, where: str) -> JSON:
    fmt = tool.get("format")
    if fmt is not None and as_dict(fmt, f"{where}.format").get("type") != "text":
        raise BridgeRefused(
            f"{where}: a grammar-constrained custom tool cannot be enforced by a Chat upstream"
        )
    return {
        "type": "object",
        "properties": {CUSTOM_INPUT: {"type": "string", "description": "The tool's input."}},
        "required": [CUSTOM_INPUT],
    }


def upstream_name(ctx: BridgeContext, name: Any, namespace: Any = None) -> str:
    """The upstream function name of the caller's tool (history and tool_choice)."""
    for upstream, origin in ctx.tools.items():
        if origin.name == name and (namespace is None or origin.namespace == namespace):
            return upstream
    return str(name or "")


def chat_tool_choice(choice: Any, ctx: BridgeContext) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind in ("function", "custom") and choice.get("name"):
        name = upstream_name(ctx, choice["name"], choice.get("namespace"))
        return {"type": "function", "function": {"name": name}}
    raise BridgeRefused("tool_choice must be auto, none, required or a function or custom tool")


def custom_arguments(text: Any) -> str:
    """A custom tool call from the history, as the Chat function call the upstream made."""
    return orjson.dumps({CUSTOM_INPUT: text if isinstance(text, str) else ""}).decode()


def caller_call(ctx: BridgeContext, name: str, arguments: str, call_id: str, item_id: str) -> JSON:
    """A Responses output item for an upstream function call, in the caller's own shape."""
    origin = ctx.tools.get(name)
    if origin is not None and origin.custom:
        return {
            "id": item_id,
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": call_id,
            "name": origin.name,
            "input": custom_input(arguments),
        }
    item: JSON = {
        "id": item_id,
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": origin.name if origin is not None else name,
        "arguments": arguments or "{}",
    }
    if origin is not None and origin.namespace is not None:
        item["namespace"] = origin.namespace
    return item


def custom_input(arguments: str) -> str:
    """The free text of a custom tool call: the upstream's one string argument."""
    try:
        data = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return arguments
    value = data.get(CUSTOM_INPUT) if isinstance(data, dict) else None
    return value if isinstance(value, str) else arguments
