"""OpenAI Chat Completions (`POST {base}/chat/completions`)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from switchyard.catalog import Dialect, ReasoningControl
from switchyard.wire import SSEEvent, openai_chat_usage

from .base import Body, Reply, ToolCall, ToolSpec
from .bodies import RequestBodies, b64, data_url
from .replies import MalformedStreamError, expect_dict, object_event, parse_arguments, read_usage


def _usage(reply: Reply, usage: Any) -> None:
    read_usage(reply, usage, openai_chat_usage, "completion_tokens_details")


class OpenAIChat(RequestBodies):
    dialect = Dialect.OPENAI_CHAT
    cap_field = "max_completion_tokens"
    min_cap = 1
    reasoning_control = ReasoningControl.OPENAI_EFFORT
    # OpenRouter and Gemini's OpenAI-compatible endpoints take their own controls on Chat
    reasoning_controls: tuple[ReasoningControl, ...] = (
        ReasoningControl.OPENAI_EFFORT,
        ReasoningControl.OPENROUTER_EFFORT,
        ReasoningControl.GEMINI_BUDGET,
    )

    def turn(self, role: str, text: str) -> Body:
        return {"role": role, "content": text}

    def image_turn(self, prompt: str, png: bytes) -> Body:
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        parts = [{"type": "text", "text": prompt}, {"type": "image_url", "image_url": {"url": url}}]
        return {"role": "user", "content": parts}

    def audio_turn(self, prompt: str, wav: bytes) -> Body:
        audio = {"type": "input_audio", "input_audio": {"data": b64(wav), "format": "wav"}}
        return {"role": "user", "content": [{"type": "text", "text": prompt}, audio]}

    def file_turn(self, prompt: str, pdf: bytes, filename: str) -> Body:
        file = {"filename": filename, "file_data": data_url("application/pdf", pdf)}
        parts = [{"type": "file", "file": file}, {"type": "text", "text": prompt}]
        return {"role": "user", "content": parts}

    def tool(self, spec: ToolSpec) -> Body:
        fn = {"name": spec.name, "description": spec.description, "parameters": spec.parameters}
        return {"type": "function", "function": fn}

    def choice(self, forced: str | None) -> Any:
        return {"type": "function", "function": {"name": forced}} if forced else "auto"

    def output_format(self, name: str, schema: dict[str, Any]) -> Body:
        spec = {"name": name, "schema": schema, "strict": True}
        return {"response_format": {"type": "json_schema", "json_schema": spec}}

    def reply(self, body: Any) -> Reply:
        data = expect_dict(body, "chat completion")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ValueError("chat completion without choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise ValueError("chat completion choice without a message")
        reply = Reply(finish=choices[0].get("finish_reason"))
        content = message.get("content")
        reply.text = content if isinstance(content, str) else ""
        reply.reasoning_seen = bool(message.get("reasoning_content") or message.get("reasoning"))
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                reply.tool_calls.append(
                    ToolCall(function["name"], parse_arguments(function.get("arguments")))
                )
        _usage(reply, data.get("usage"))
        return reply

    def stream_reply(self, events: Sequence[SSEEvent]) -> Reply:
        reply = Reply()
        if not events or not events[-1].done:
            raise MalformedStreamError("stream did not end with [DONE]")
        calls: dict[int, dict[str, str]] = {}
        chunks = 0
        for event in events[:-1]:
            if event.done:
                raise MalformedStreamError("[DONE] before the end of the stream")
            chunk = object_event(event)
            if chunk.get("object") != "chat.completion.chunk":
                raise MalformedStreamError("event is not a chat.completion.chunk")
            chunks += 1
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                if isinstance(delta.get("content"), str):
                    reply.text += delta["content"]
                if delta.get("reasoning_content") or delta.get("reasoning"):
                    reply.reasoning_seen = True
                for tc in delta.get("tool_calls") or []:
                    slot = calls.setdefault(int(tc.get("index", 0)), {"name": "", "args": ""})
                    fn = tc.get("function") or {}
                    slot["name"] += fn.get("name") or ""
                    slot["args"] += fn.get("arguments") or ""
                if choice.get("finish_reason"):
                    reply.finish = choice["finish_reason"]
            if chunk.get("usage"):
                _usage(reply, chunk["usage"])
        if not chunks:
            raise MalformedStreamError("no chunks before [DONE]")
        reply.tool_calls = [
            ToolCall(c["name"], parse_arguments(c["args"])) for _, c in sorted(calls.items())
        ]
        return reply
