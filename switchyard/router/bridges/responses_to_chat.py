"""responsesToChat: /v1/responses callers (Codex and the like) on an openai-chat upstream.

Translates instructions, input items (messages, function calls and their outputs, image URLs),
function tools, tool_choice, reasoning effort and output caps. Refused: previous_response_id and
conversations (no upstream state to point at), hosted tools, structured output, and any field
whose meaning Chat cannot carry.
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass
from switchyard.wire import openai_chat_usage, reasoning

from .base import (
    JSON,
    BridgeContext,
    BridgeRefused,
    BridgeUpstreamFailed,
    as_dict,
    as_list,
    refuse_unknown,
    text_of,
)
from .responses_events import INCOMPLETE, ResponsesFromChat, response_object

DIRECTION = BridgeDirection.RESPONSES_TO_CHAT
KNOWN = frozenset(
    {
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
        "max_output_tokens", "temperature", "top_p", "stream", "reasoning", "text", "user",
        "store", "include", "metadata", "prompt_cache_key", "service_tier", "safety_identifier",
        "truncation", "previous_response_id", "stream_options",
    }
)  # fmt: skip
ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


class ResponsesToChat:
    direction = DIRECTION
    upstream_path = "/chat/completions"

    def request(self, body: JSON, ctx: BridgeContext) -> JSON:
        refuse_unknown(body, KNOWN, DIRECTION)
        if body.get("previous_response_id"):
            raise BridgeRefused("previous_response_id is not supported through responsesToChat")
        fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
        if fmt and as_dict(fmt, "text.format").get("type") != "text":
            raise BridgeRefused("structured output is not supported through responsesToChat")
        messages: list[JSON] = []
        if body.get("instructions"):
            messages.append({"role": "system", "content": str(body["instructions"])})
        raw_input = body.get("input")
        if isinstance(raw_input, str):
            messages.append({"role": "user", "content": raw_input})
        elif raw_input is not None:
            for i, item in enumerate(as_list(raw_input, "input")):
                _item(messages, as_dict(item, f"input[{i}]"), i)
        out: JSON = {"model": ctx.upstream_model, "messages": messages}
        if body.get("tools"):
            out["tools"] = [_tool(t, i) for i, t in enumerate(as_list(body["tools"], "tools"))]
        if body.get("tool_choice") is not None:
            out["tool_choice"] = _tool_choice(body["tool_choice"])
        for key in ("parallel_tool_calls", "temperature", "top_p", "user"):
            if body.get(key) is not None:
                out[key] = body[key]
        if body.get("max_output_tokens") is not None:
            out["max_tokens"] = body["max_output_tokens"]
        effort = reasoning.read_effort(Dialect.OPENAI_RESPONSES, body)
        if effort is not None:
            out.update(
                reasoning.translate_effort(effort, ctx.reasoning_control, Dialect.OPENAI_CHAT)
            )
        if body.get("stream"):
            out["stream"] = True
            out["stream_options"] = {"include_usage": True}
        return out

    def response(self, body: JSON, ctx: BridgeContext) -> JSON:
        choices = body.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            raise BridgeUpstreamFailed(ErrorClass.BAD_RESPONSE, "upstream reply has no choices")
        choice = choices[0]
        message = choice.get("message") or {}
        finish = str(choice.get("finish_reason") or "stop")
        output: list[JSON] = []
        if message.get("content") or message.get("refusal"):
            part: JSON = (
                {"type": "refusal", "refusal": message["refusal"]}
                if message.get("refusal") and not message.get("content")
                else {"type": "output_text", "text": message["content"], "annotations": []}
            )
            output.append(
                {
                    "id": ctx.ids("msg_"),
                    "type": "message",
                    "status": "incomplete" if finish in INCOMPLETE else "completed",
                    "role": "assistant",
                    "content": [part],
                }
            )
        for call in message.get("tool_calls") or []:
            fn = call.get("function") or {}
            output.append(
                {
                    "id": ctx.ids("fc_"),
                    "type": "function_call",
                    "status": "completed",
                    "call_id": call.get("id") or ctx.ids("call_"),
                    "name": fn.get("name", ""),
                    "arguments": fn.get("arguments") or "{}",
                }
            )
        usage = openai_chat_usage(body.get("usage"))
        return response_object(
            ctx.ids("resp_"),
            ctx.inbound_model,
            int(body.get("created") or ctx.clock()),
            output,
            finish_reason=finish,
            usage=usage,
        )

    def stream(self, ctx: BridgeContext) -> ResponsesFromChat:
        return ResponsesFromChat(ctx)


def _item(messages: list[JSON], item: JSON, i: int) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        role = ROLES.get(str(item.get("role")))
        if role is None:
            raise BridgeRefused(f"input[{i}]: unknown role {item.get('role')!r}")
        messages.append({"role": role, "content": _content(item.get("content"), role, i)})
    elif kind == "function_call":
        call = {
            "id": str(item.get("call_id") or ""),
            "type": "function",
            "function": {"name": str(item.get("name") or ""), "arguments": item.get("arguments")},
        }
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(call)
        elif last is not None and last["role"] == "assistant":
            last["tool_calls"] = [call]
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else text_of(output, f"input[{i}].output")
        messages.append(
            {"role": "tool", "tool_call_id": str(item.get("call_id") or ""), "content": text}
        )
    elif kind == "reasoning":
        return  # reasoning items carry the upstream's private state; a Chat upstream has none
    elif kind == "item_reference":
        raise BridgeRefused(
            "item references need stored responses; not supported via responsesToChat"
        )
    else:
        raise BridgeRefused(
            f"input[{i}]: item type {kind!r} is not supported through responsesToChat"
        )


def _content(content: Any, role: str, i: int) -> Any:
    if isinstance(content, str) or role != "user":
        return text_of(content, f"input[{i}]")
    parts: list[JSON] = []
    for part in as_list(content, f"input[{i}].content"):
        kind = as_dict(part, f"input[{i}].content[]").get("type")
        if kind in {"input_text", "output_text", "text"}:
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "input_image" and isinstance(part.get("image_url"), str):
            image: JSON = {"url": part["image_url"]}
            if part.get("detail"):
                image["detail"] = part["detail"]
            parts.append({"type": "image_url", "image_url": image})
        else:
            raise BridgeRefused(
                f"input[{i}]: content part {kind!r} is not supported through responsesToChat"
            )
    return parts


def _tool(tool: Any, i: int) -> JSON:
    tool = as_dict(tool, f"tools[{i}]")
    if tool.get("type") != "function":
        raise BridgeRefused(
            f"tools[{i}]: hosted tool {tool.get('type')!r} is not supported through responsesToChat"
        )
    fn: JSON = {"name": tool.get("name")}
    if tool.get("description") is not None:
        fn["description"] = tool["description"]
    fn["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
    if tool.get("strict") is not None:
        fn["strict"] = tool["strict"]
    return {"type": "function", "function": fn}


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise BridgeRefused("tool_choice must be auto, none, required or a function tool")
