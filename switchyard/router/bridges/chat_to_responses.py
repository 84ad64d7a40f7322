"""chatToResponses: Chat Completions callers on an openai-responses upstream.

Translates messages (leading system messages -> instructions), images, function tools,
tool_choice, tool results, reasoning effort and caps. With a stateful session the router passes
the previous upstream response id; the bridge then sends only the turns after the caller's last
assistant message, with previous_response_id, so the upstream keeps the conversation. Refused:
n > 1, structured output, stop, logprobs, penalties, seeds and other Chat-only knobs.
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass
from switchyard.wire import openai_responses_usage, reasoning

from .base import JSON, BridgeContext, BridgeRefused, BridgeUpstreamFailed
from .chat_chunks import chat_message, chat_usage_object, completion
from .chat_messages import chat_tool_choice, function_tools, output_cap, read_plain, user_parts
from .chat_stream_responses import ChatFromResponses, finish_reason_of
from .policy import CHAT_TO_RESPONSES
from .reading import as_list, reasoning_fields, text_of

DIRECTION = BridgeDirection.CHAT_TO_RESPONSES


class ChatToResponses:
    direction = DIRECTION
    upstream_path = "/responses"

    def request(self, body: JSON, ctx: BridgeContext) -> JSON:
        system, rest = read_plain(body, ctx, CHAT_TO_RESPONSES)
        if not rest:
            raise BridgeRefused("messages must hold at least one user message")
        out: JSON = {"model": ctx.upstream_model}
        last_assistant = max(
            (i for i, m in enumerate(rest) if m.get("role") == "assistant"), default=None
        )
        if ctx.previous_response_id and last_assistant is not None:
            out["previous_response_id"] = ctx.previous_response_id
            rest = rest[last_assistant + 1 :]
            if not rest:
                raise BridgeRefused("a stateful session request must end with a new turn")
        if system:
            out["instructions"] = "\n\n".join(system)
        items: list[JSON] = []
        for i, message in enumerate(rest):
            items.extend(_items(message, i))
        out["input"] = items
        if body.get("tools"):
            out["tools"] = [
                {
                    "type": "function",
                    "name": fn["name"],
                    "description": fn.get("description"),
                    "parameters": fn.get("parameters") or {"type": "object", "properties": {}},
                    "strict": bool(fn.get("strict", False)),
                }
                for fn in function_tools(body["tools"], DIRECTION.value)
            ]
        if body.get("tool_choice") is not None:
            mode, name = chat_tool_choice(body["tool_choice"])
            out["tool_choice"] = {"type": "function", "name": name} if name else mode
        cap = output_cap(body)
        if cap is not None:
            out["max_output_tokens"] = cap
        for key in ("parallel_tool_calls", "temperature", "top_p", "user", "store"):
            if body.get(key) is not None:
                out[key] = body[key]
        effort = reasoning.read_effort(Dialect.OPENAI_CHAT, body)
        out.update(reasoning_fields(effort, ctx, Dialect.OPENAI_RESPONSES))
        if body.get("stream"):
            out["stream"] = True
        return out

    def response(self, body: JSON, ctx: BridgeContext) -> JSON:
        if body.get("status") == "failed" or body.get("error"):
            raise BridgeUpstreamFailed(ErrorClass.UPSTREAM_ERROR, "upstream response failed")
        texts: list[str] = []
        refusals: list[str] = []
        calls: list[JSON] = []
        for item in body.get("output") or []:
            if item.get("type") == "message":
                for part in item.get("content") or []:
                    if part.get("type") == "output_text":
                        texts.append(str(part.get("text", "")))
                    elif part.get("type") == "refusal":
                        refusals.append(str(part.get("refusal", "")))
            elif item.get("type") == "function_call":
                calls.append(
                    {
                        "id": item.get("call_id"),
                        "type": "function",
                        "function": {
                            "name": item.get("name"),
                            "arguments": item.get("arguments") or "{}",
                        },
                    }
                )
        usage_obj = chat_usage_object(openai_responses_usage(body.get("usage")))
        message = chat_message("".join(texts) if texts else None, calls, "".join(refusals) or None)
        created = int(body.get("created_at") or ctx.clock())
        return completion(ctx, created, message, finish_reason_of(body, bool(calls)), usage_obj)

    def stream(self, ctx: BridgeContext) -> ChatFromResponses:
        return ChatFromResponses(ctx)


def _items(message: JSON, i: int) -> list[JSON]:
    role = message.get("role")
    content = message.get("content")
    if role in ("system", "developer"):
        return [{"role": "developer", "content": text_of(content, f"messages[{i}]")}]
    if role == "user":
        return [{"role": "user", "content": _user_content(content, i)}]
    if role == "assistant":
        items: list[JSON] = []
        text = text_of(content, f"messages[{i}]") if content else ""
        if text:
            items.append({"role": "assistant", "content": text})
        for call in as_list(message.get("tool_calls") or [], f"messages[{i}].tool_calls"):
            fn = call.get("function") or {}
            items.append(
                {
                    "type": "function_call",
                    "call_id": str(call.get("id")),
                    "name": str(fn.get("name")),
                    "arguments": str(fn.get("arguments") or "{}"),
                }
            )
        return items
    if role == "tool":
        output = text_of(content, f"messages[{i}]")
        return [
            {
                "type": "function_call_output",
                "call_id": str(message.get("tool_call_id")),
                "output": output,
            }
        ]
    raise BridgeRefused(f"messages[{i}]: role {role!r} is not supported through chatToResponses")


def _user_content(content: Any, i: int) -> Any:
    if isinstance(content, str):
        return content
    return user_parts(content, i, DIRECTION.value, _input_text, _input_image)


def _input_text(text: str) -> JSON:
    return {"type": "input_text", "text": text}


def _input_image(url: str, detail: str | None, _where: str) -> JSON:
    return {"type": "input_image", "image_url": url, "detail": detail or "auto"}
