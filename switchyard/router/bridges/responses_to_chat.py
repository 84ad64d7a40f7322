"""responsesToChat: /v1/responses callers (Codex and the like) on an openai-chat upstream.

Translates instructions, input items (messages, function and custom tool calls and their
outputs, image URLs), tools (function tools; namespace tools flattened and custom text tools as
one-string functions, see responses_tools), tool_choice, reasoning effort and output caps.
Top-level fields follow the written policy (policy.RESPONSES_TO_CHAT: translate, drop and count,
or refuse). Refused: previous_response_id, background and conversations (no upstream state to
point at), hosted tools, grammar-constrained custom tools, structured output.
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import BridgeDirection, Dialect
from switchyard.wire import openai_chat_usage, reasoning

from .base import JSON, BridgeContext, BridgeRefused
from .chat_upstream import answer, finish_request
from .policy import RESPONSES_TO_CHAT
from .reading import as_dict, as_list, text_of
from .responses_events import INCOMPLETE, ResponsesFromChat, response_object
from .responses_tools import (
    caller_call,
    chat_tool_choice,
    chat_tools,
    custom_arguments,
    upstream_name,
)

DIRECTION = BridgeDirection.RESPONSES_TO_CHAT
ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


class ResponsesToChat:
    direction = DIRECTION
    upstream_path = "/chat/completions"

    def request(self, body: JSON, ctx: BridgeContext) -> JSON:
        ctx.dropped[:] = RESPONSES_TO_CHAT.apply(body)
        if body.get("previous_response_id"):
            raise BridgeRefused("previous_response_id is not supported through responsesToChat")
        if body.get("background"):
            raise BridgeRefused("background responses are not supported through responsesToChat")
        text = as_dict(body.get("text") or {}, "text")
        fmt = text.get("format")
        if fmt and as_dict(fmt, "text.format").get("type") != "text":
            raise BridgeRefused("structured output is not supported through responsesToChat")
        out: JSON = {"model": ctx.upstream_model}
        if body.get("tools"):
            out["tools"] = chat_tools(body["tools"], ctx)
        messages: list[JSON] = []
        if body.get("instructions"):
            messages.append({"role": "system", "content": str(body["instructions"])})
        raw_input = body.get("input")
        if isinstance(raw_input, str):
            messages.append({"role": "user", "content": raw_input})
        elif raw_input is not None:
            for i, item in enumerate(as_list(raw_input, "input")):
                _item(messages, as_dict(item, f"input[{i}]"), i, ctx)
        out["messages"] = messages
        if "tools" in out:  # Chat keeps the reference order: model, messages, tools
            out["tools"] = out.pop("tools")
        if body.get("tool_choice") is not None:
            out["tool_choice"] = chat_tool_choice(body["tool_choice"], ctx)
        if text.get("verbosity") is not None:
            ctx.dropped.append("text.verbosity")  # OpenAI-only knob; most Chat servers refuse it
        if isinstance(body.get("reasoning"), dict) and body["reasoning"].get("summary"):
            ctx.dropped.append("reasoning.summary")  # a Chat upstream returns no summaries
        for key in ("parallel_tool_calls", "temperature", "top_p", "user"):
            if body.get(key) is not None:
                out[key] = body[key]
        if body.get("max_output_tokens") is not None:
            out["max_tokens"] = body["max_output_tokens"]
        effort = reasoning.read_effort(Dialect.OPENAI_RESPONSES, body)
        return finish_request(body, out, effort, ctx)

    def response(self, body: JSON, ctx: BridgeContext) -> JSON:
        message, finish = answer(body)
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
            name = str(fn.get("name") or "")
            custom = name in ctx.tools and ctx.tools[name].custom
            item_id = ctx.ids("ctc_" if custom else "fc_")
            call_id = call.get("id") or ctx.ids("call_")
            output.append(caller_call(ctx, name, str(fn.get("arguments") or ""), call_id, item_id))
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


def _item(messages: list[JSON], item: JSON, i: int, ctx: BridgeContext) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        role = ROLES.get(str(item.get("role")))
        if role is None:
            raise BridgeRefused(f"input[{i}]: unknown role {item.get('role')!r}")
        messages.append({"role": role, "content": _content(item.get("content"), role, i)})
    elif kind in ("function_call", "custom_tool_call"):
        custom = kind == "custom_tool_call"
        name = upstream_name(ctx, item.get("name"), item.get("namespace"))
        args = custom_arguments(item.get("input")) if custom else item.get("arguments")
        call = {
            "id": str(item.get("call_id") or ""),
            "type": "function",
            "function": {"name": name, "arguments": args},
        }
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(call)
        elif last is not None and last["role"] == "assistant":
            last["tool_calls"] = [call]
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind in ("function_call_output", "custom_tool_call_output"):
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
