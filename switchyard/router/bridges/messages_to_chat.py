"""messagesToChat: Anthropic Messages callers (Claude Code style) on an openai-chat upstream.

Translates system prompts, multi-turn messages (mid-conversation system turns stay in place),
tool_use / tool_result blocks, images (base64 and URL sources), tools and tool_choice, stop
sequences, thinking (budgets, or adaptive at output_config.effort) as the target's reasoning
control, and caps. Thinking blocks in the history are dropped: a Chat upstream cannot verify
their signatures (so context_management clear_thinking edits are dropped too). Top-level fields
follow policy.MESSAGES_TO_CHAT. Refused: server tools, documents, images inside tool results,
top_k, other context edits, structured output.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass
from switchyard.wire import openai_chat_usage, reasoning

from .base import JSON, BridgeContext, BridgeRefused, BridgeUpstreamFailed
from .chat_upstream import answer, finish_request
from .messages_events import STOP_REASONS, MessagesFromChat, message_usage
from .policy import MESSAGES_TO_CHAT
from .reading import as_dict, as_list, text_of

DIRECTION = BridgeDirection.MESSAGES_TO_CHAT
IGNORED_BLOCKS = frozenset({"thinking", "redacted_thinking"})
# output_config.effort labels -> reasoning labels (max is above every Chat label)
EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh", "max": "xhigh"}


class MessagesToChat:
    direction = DIRECTION
    upstream_path = "/chat/completions"

    def request(self, body: JSON, ctx: BridgeContext) -> JSON:
        ctx.dropped[:] = MESSAGES_TO_CHAT.apply(body)
        _context_management(body.get("context_management"), ctx)
        label = _output_effort(body, ctx)
        messages: list[JSON] = []
        system = body.get("system")
        if system:
            messages.append({"role": "system", "content": text_of(system, "system")})
        for i, raw in enumerate(as_list(body.get("messages"), "messages")):
            message = as_dict(raw, f"messages[{i}]")
            if message.get("role") == "user":
                messages.extend(_user(message.get("content"), i))
            elif message.get("role") == "assistant":
                messages.append(_assistant(message.get("content"), i))
            elif message.get("role") == "system":
                # a mid-conversation system turn (Claude Code sends them for models it does not
                # know): Chat takes system messages anywhere, so it stays where it was
                text = text_of(message.get("content"), f"messages[{i}]")
                messages.append({"role": "system", "content": text})
            else:
                raise BridgeRefused(f"messages[{i}]: role must be user, assistant or system")
        out: JSON = {"model": ctx.upstream_model, "messages": messages}
        if body.get("max_tokens") is not None:
            out["max_tokens"] = body["max_tokens"]
        if body.get("stop_sequences"):
            out["stop"] = as_list(body["stop_sequences"], "stop_sequences")
        for key in ("temperature", "top_p"):
            if body.get(key) is not None:
                out[key] = body[key]
        if body.get("tools"):
            loaded = _referenced(body.get("messages"))
            tools = [_tool(t, i, loaded) for i, t in enumerate(as_list(body["tools"], "tools"))]
            if any(t is not None for t in tools):
                out["tools"] = [t for t in tools if t is not None]
        if body.get("tool_choice") is not None:
            choice = as_dict(body["tool_choice"], "tool_choice")
            out["tool_choice"] = _tool_choice(choice)
            if choice.get("disable_parallel_tool_use") and choice.get("type") != "none":
                out["parallel_tool_calls"] = False
        effort = reasoning.read_effort(Dialect.ANTHROPIC, body)
        if effort is not None and label is not None:
            effort = label  # adaptive thinking at the caller's output_config.effort
        return finish_request(body, out, effort, ctx)

    def response(self, body: JSON, ctx: BridgeContext) -> JSON:
        message, finish = answer(body)
        content: list[JSON] = []
        if message.get("content"):
            content.append({"type": "text", "text": str(message["content"])})
        for call in message.get("tool_calls") or []:
            fn = call.get("function") or {}
            try:
                args = orjson.loads(fn.get("arguments") or "{}")
            except orjson.JSONDecodeError:
                raise BridgeUpstreamFailed(
                    ErrorClass.BAD_RESPONSE, "upstream tool call arguments are not valid JSON"
                ) from None
            content.append(
                {
                    "type": "tool_use",
                    "id": call.get("id") or ctx.ids("toolu_"),
                    "name": fn.get("name", ""),
                    "input": args if isinstance(args, dict) else {},
                }
            )
        usage = openai_chat_usage(body.get("usage"))
        return {
            "id": ctx.ids("msg_"),
            "type": "message",
            "role": "assistant",
            "model": ctx.inbound_model,
            "content": content,
            "stop_reason": STOP_REASONS.get(finish, "end_turn"),
            "stop_sequence": None,
            "usage": message_usage(usage),
        }

    def stream(self, ctx: BridgeContext) -> MessagesFromChat:
        return MessagesFromChat(ctx)


def _context_management(value: Any, ctx: BridgeContext) -> None:
    """Server-side context editing. Clearing old thinking blocks is what this bridge does
    anyway (a Chat upstream never sees thinking), so those edits are dropped; an edit that
    would clear tool results or compact the history changes what the model sees: refused."""
    if value is None:
        return
    config = as_dict(value, "context_management")
    for key in config:
        if key != "edits":
            raise BridgeRefused(
                f"context_management.{key} is not supported through {DIRECTION.value}"
            )
    for j, raw in enumerate(as_list(config.get("edits") or [], "context_management.edits")):
        kind = str(as_dict(raw, f"context_management.edits[{j}]").get("type"))
        if not kind.startswith("clear_thinking_"):
            raise BridgeRefused(
                f"context_management edit {kind!r} is not supported through {DIRECTION.value}: "
                "a Chat upstream cannot edit the context server-side"
            )
    ctx.dropped.append("context_management")


def _output_effort(body: JSON, ctx: BridgeContext) -> str | None:
    """output_config: effort steers adaptive thinking (translated with it); with thinking
    off it only tunes how much the model writes, so it is dropped. format is structured
    output (refused); task_budget is advisory (dropped)."""
    config = body.get("output_config")
    if config is None:
        return None
    config = as_dict(config, "output_config")
    label: str | None = None
    for key, value in config.items():
        if value is None:
            continue
        if key == "effort":
            if value not in EFFORTS:
                raise BridgeRefused(f"output_config.effort must be one of {', '.join(EFFORTS)}")
            thinking = body.get("thinking")
            if isinstance(thinking, dict) and thinking.get("type") == "adaptive":
                label = EFFORTS[value]
            else:
                ctx.dropped.append("output_config.effort")
        elif key == "task_budget":
            ctx.dropped.append("output_config.task_budget")
        elif key == "format":
            raise BridgeRefused(
                f"structured output (output_config.format) is not supported through {DIRECTION.value}"
            )
        else:
            raise BridgeRefused(f"output_config.{key} is not supported through {DIRECTION.value}")
    return label


def _user(content: Any, i: int) -> list[JSON]:
    """One Anthropic user turn: its tool results become tool messages, first, in order."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    tools: list[JSON] = []
    parts: list[JSON] = []
    for kind, block in _blocks(content, i):
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block, i)}})
        elif kind == "tool_result":
            text = text_of(_references_as_text(block.get("content")), f"messages[{i}] tool_result")
            if block.get("is_error"):
                text = f"[tool error] {text}"
            tools.append(
                {"role": "tool", "tool_call_id": str(block.get("tool_use_id")), "content": text}
            )
        else:
            raise _unsupported(kind, i)
    out = tools
    if parts:
        only_text = all(p["type"] == "text" for p in parts)
        joined = "".join(p["text"] for p in parts) if only_text else ""
        out.append({"role": "user", "content": joined if only_text else parts})
    return out


def _assistant(content: Any, i: int) -> JSON:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[JSON] = []
    for kind, block in _blocks(content, i):
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            args = orjson.dumps(block.get("input") or {}).decode()
            calls.append(
                {
                    "id": str(block.get("id")),
                    "type": "function",
                    "function": {"name": str(block.get("name")), "arguments": args},
                }
            )
        else:
            raise _unsupported(kind, i)
    message: JSON = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _blocks(content: Any, i: int) -> Iterator[tuple[Any, JSON]]:
    """(type, block) for each content block of messages[i], thinking blocks left out."""
    for raw in as_list(content, f"messages[{i}].content"):
        block = as_dict(raw, f"messages[{i}].content[]")
        if block.get("type") not in IGNORED_BLOCKS:
            yield block.get("type"), block


def _unsupported(kind: Any, i: int) -> BridgeRefused:
    return BridgeRefused(
        f"messages[{i}]: content block {kind!r} is not supported through messagesToChat"
    )


def _image_url(block: JSON, i: int) -> str:
    source = as_dict(block.get("source"), f"messages[{i}] image.source")
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    if source.get("type") == "url":
        return str(source.get("url"))
    raise BridgeRefused(f"messages[{i}]: image source {source.get('type')!r} is not supported")


def _referenced(messages: Any) -> set[str]:
    """Tools a tool search loaded: `tool_reference` blocks inside tool results (Claude Code's
    client-side ToolSearch answers with them)."""
    names: set[str] = set()
    for m in messages if isinstance(messages, list) else []:
        content = m.get("content") if isinstance(m, dict) else None
        for block in content if isinstance(content, list) else []:
            inner = block.get("content") if isinstance(block, dict) else None
            for ref in inner if isinstance(inner, list) else []:
                if isinstance(ref, dict) and ref.get("type") == "tool_reference":
                    names.add(str(ref.get("tool_name")))
    return names


def _references_as_text(content: Any) -> Any:
    """A tool result's tool_reference blocks, as the text a Chat model can read (the tool
    itself joins the Chat tools list, see _tool)."""
    if not isinstance(content, list):
        return content
    return [
        {"type": "text", "text": f"[tool {b.get('tool_name')} loaded]"}
        if isinstance(b, dict) and b.get("type") == "tool_reference"
        else b
        for b in content
    ]


def _tool(tool: Any, i: int, loaded: set[str]) -> JSON | None:
    """A client tool as a Chat function; a deferred tool (defer_loading) only once a tool
    search loaded it, as Messages would show it to the model; None otherwise."""
    tool = as_dict(tool, f"tools[{i}]")
    if tool.get("type") not in (None, "custom"):
        raise BridgeRefused(
            f"tools[{i}]: server tool {tool.get('type')!r} is not supported through messagesToChat"
        )
    if tool.get("defer_loading") and tool.get("name") not in loaded:
        return None
    fn: JSON = {"name": tool.get("name")}
    if tool.get("description") is not None:
        fn["description"] = tool["description"]
    fn["parameters"] = tool.get("input_schema") or {"type": "object", "properties": {}}
    return {"type": "function", "function": fn}


def _tool_choice(choice: JSON) -> Any:
    kind = choice.get("type")
    if kind == "auto":
        return "auto"
    if kind == "any":
        return "required"
    if kind == "none":
        return "none"
    if kind == "tool" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise BridgeRefused("tool_choice.type must be auto, any, none or tool")
