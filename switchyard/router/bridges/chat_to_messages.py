"""chatToMessages: Chat Completions callers on an Anthropic Messages upstream.

Translates system messages (hoisted into `system`), multi-turn history (consecutive same-role
turns merged, as Messages requires alternation), images (data URLs -> base64 sources, http URLs
-> url sources), tool calls and tool results, tools and tool_choice (parallel_tool_calls false
-> disable_parallel_tool_use), stop, caps (max_tokens defaults to DEFAULT_MAX_TOKENS because
Messages requires one) and reasoning effort. Refused: temperature above 1 (Messages' range is
0..1), n > 1, structured output, logprobs, penalties, seeds.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass
from switchyard.wire import anthropic_usage, reasoning

from .base import JSON, BridgeContext, BridgeRefused, BridgeUpstreamFailed
from .chat_chunks import chat_message, chat_usage_object, completion
from .chat_messages import (
    add_turn,
    chat_tool_choice,
    function_tools,
    output_cap,
    read_plain,
    user_parts,
)
from .chat_stream_messages import FINISH_REASONS, ChatFromMessages
from .policy import CHAT_TO_MESSAGES
from .reading import as_list, reasoning_fields, text_of

DIRECTION = BridgeDirection.CHAT_TO_MESSAGES
DEFAULT_MAX_TOKENS = 4096
_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_DATA_URL = re.compile(r"^data:(image/[A-Za-z0-9.+-]+);base64,(.*)$", re.S)


def tool_id(call_id: Any) -> str:
    """Messages accepts tool ids of [A-Za-z0-9_-] only; other servers' ids are made to fit."""
    return _ID_CHARS.sub("_", str(call_id)) or "call"


class ChatToMessages:
    direction = DIRECTION
    upstream_path = "/messages"

    def request(self, body: JSON, ctx: BridgeContext) -> JSON:
        system, rest = read_plain(body, ctx, CHAT_TO_MESSAGES)
        messages: list[JSON] = []
        for i, message in enumerate(rest):
            role, blocks = _turn(message, i)
            if system and role == "system":
                raise BridgeRefused(
                    f"messages[{i}]: system messages after the conversation started are not supported through chatToMessages"
                )
            add_turn(messages, role, "content", blocks)
        if not messages:
            raise BridgeRefused("messages must hold at least one user message")
        out: JSON = {"model": ctx.upstream_model, "messages": messages}
        if system:
            out["system"] = "\n\n".join(system)
        out["max_tokens"] = output_cap(body) or DEFAULT_MAX_TOKENS
        temperature = body.get("temperature")
        if temperature is not None:
            if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
                raise BridgeRefused("temperature must be between 0 and 1 through chatToMessages")
            out["temperature"] = temperature
        if body.get("top_p") is not None:
            out["top_p"] = body["top_p"]
        stop = body.get("stop")
        if stop:
            out["stop_sequences"] = [stop] if isinstance(stop, str) else as_list(stop, "stop")
        if body.get("tools"):
            out["tools"] = [
                {
                    "name": fn["name"],
                    **({"description": fn["description"]} if fn.get("description") else {}),
                    "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
                }
                for fn in function_tools(body["tools"], DIRECTION.value)
            ]
        choice = _tool_choice(body)
        if choice is not None:
            out["tool_choice"] = choice
        if isinstance(body.get("user"), str):
            out["metadata"] = {"user_id": body["user"]}
        effort = reasoning.read_effort(Dialect.OPENAI_CHAT, body)
        fragment = reasoning_fields(effort, ctx, Dialect.ANTHROPIC)
        _fit_thinking(fragment, out)
        out.update(fragment)
        if body.get("stream"):
            out["stream"] = True
        return out

    def response(self, body: JSON, ctx: BridgeContext) -> JSON:
        if body.get("type") == "error":
            raise BridgeUpstreamFailed(ErrorClass.UPSTREAM_ERROR, "upstream reported an error")
        texts: list[str] = []
        calls: list[JSON] = []
        for block in body.get("content") or []:
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use":
                args = orjson.dumps(block.get("input") or {}).decode()
                calls.append(
                    {
                        "id": block.get("id"),
                        "type": "function",
                        "function": {"name": block.get("name"), "arguments": args},
                    }
                )
        usage_obj = chat_usage_object(anthropic_usage(body.get("usage")))
        reason = FINISH_REASONS.get(str(body.get("stop_reason")), "stop")
        message = chat_message("".join(texts) if texts else None, calls)
        return completion(ctx, ctx.clock(), message, reason, usage_obj)

    def stream(self, ctx: BridgeContext) -> ChatFromMessages:
        return ChatFromMessages(ctx)


def _turn(message: JSON, i: int) -> tuple[str, list[JSON]]:
    role = message.get("role")
    content = message.get("content")
    if role in ("system", "developer"):
        return "system", []
    if role == "user":
        return "user", user_parts(content, i, DIRECTION.value, _text_block, _image_block)
    if role == "tool":
        result = {
            "type": "tool_result",
            "tool_use_id": tool_id(message.get("tool_call_id")),
            "content": text_of(content, f"messages[{i}]"),
        }
        return "user", [result]
    if role == "assistant":
        blocks: list[JSON] = []
        text = text_of(content, f"messages[{i}]") if content else ""
        if text:
            blocks.append({"type": "text", "text": text})
        for call in as_list(message.get("tool_calls") or [], f"messages[{i}].tool_calls"):
            fn = call.get("function") or {}
            try:
                args = orjson.loads(fn.get("arguments") or "{}")
            except orjson.JSONDecodeError:
                raise BridgeRefused(
                    f"messages[{i}]: tool call arguments are not valid JSON"
                ) from None
            blocks.append(
                {
                    "type": "tool_use",
                    "id": tool_id(call.get("id")),
                    "name": fn.get("name"),
                    "input": args,
                }
            )
        return "assistant", blocks
    raise BridgeRefused(f"messages[{i}]: role {role!r} is not supported through chatToMessages")


def _text_block(text: str) -> JSON:
    return {"type": "text", "text": text}


def _image_block(url: str, _detail: str | None, where: str) -> JSON:
    """A base64 data URL as a base64 source, an http(s) URL as a url source."""
    match = _DATA_URL.match(url)
    if match:
        source = {"type": "base64", "media_type": match.group(1), "data": match.group(2)}
    elif url.startswith(("http://", "https://")):
        source = {"type": "url", "url": url}
    else:
        raise BridgeRefused(f"{where}: image URL must be http(s) or a base64 data URL")
    return {"type": "image", "source": source}


def _tool_choice(body: JSON) -> JSON | None:
    parallel = body.get("parallel_tool_calls")
    if body.get("tool_choice") is None:
        if parallel is False and body.get("tools"):
            return {"type": "auto", "disable_parallel_tool_use": True}
        return None
    mode, name = chat_tool_choice(body["tool_choice"])
    choices: dict[str, JSON] = {
        "auto": {"type": "auto"},
        "none": {"type": "none"},
        "required": {"type": "any"},
        "function": {"type": "tool", "name": name},
    }
    choice = dict(choices[mode])
    if parallel is False and mode != "none":
        choice["disable_parallel_tool_use"] = True
    return choice


def _fit_thinking(fragment: JSON, out: JSON) -> None:
    """Messages needs budget_tokens below max_tokens and no forced tools while thinking."""
    thinking = fragment.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        return
    budget = min(int(thinking["budget_tokens"]), int(out["max_tokens"]) - 1)
    if budget < reasoning.ANTHROPIC_MIN_BUDGET:
        raise BridgeRefused("reasoning on this target needs max_tokens above 1024")
    thinking["budget_tokens"] = budget
    if (out.get("tool_choice") or {}).get("type") in ("any", "tool"):
        raise BridgeRefused("a forced tool_choice cannot be combined with reasoning on this target")
    if out.get("temperature") not in (None, 1):
        raise BridgeRefused("temperature cannot be combined with reasoning on this target")
