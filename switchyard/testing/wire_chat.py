"""OpenAI Chat Completions on the wire: chat.completion, chat.completion.chunk, error bodies."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect

from .media import chat_media
from .simulate import Ask, Reply, Tool, chunks
from .wire_base import cap_of, common_fields, frame, has_part, input_size, new_id, now, schema_of

FINISH = {"stop": "stop", "length": "length", "tool": "tool_calls"}

ERRORS: dict[str, tuple[str, str | None, str]] = {
    "auth": ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    "entitlement": (
        "permission_denied",
        "entitlement_required",
        "Your account is not entitled to use this model on its current plan.",
    ),
    "forbidden": ("permission_denied", "forbidden", "Forbidden."),
    "not_found": (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    "rate_limit": ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    "server": ("server_error", None, "The server had an error while processing your request."),
    "overloaded": ("server_error", "service_unavailable", "The engine is currently overloaded."),
    "bad_request": ("invalid_request_error", None, "Invalid request."),
}


def error_body(kind: str, message: str) -> dict[str, Any]:
    """OpenAI's error body (Chat Completions and Responses alike)."""
    etype, code, default = ERRORS.get(kind, ERRORS["server"])
    return {"error": {"message": message or default, "type": etype, "param": None, "code": code}}


def tool_fields(body: dict[str, Any], nested: bool) -> dict[str, Any]:
    """The Ask fields OpenAI's two APIs read alike: function tools, tool_choice and
    parallel_tool_calls. ``nested``: Chat holds a tool's name and parameters, and a forced
    choice's name, under ``function``; Responses holds them on the tool or choice itself."""

    def named(entry: Any) -> dict[str, Any]:
        inner = entry.get("function") if nested and isinstance(entry, dict) else entry
        return inner if isinstance(inner, dict) else {}

    tools = tuple(
        Tool(named(t)["name"], named(t).get("parameters") or {})
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function" and "name" in named(t)
    )
    choice = body.get("tool_choice")
    return {
        "tools": tools,
        "forced_tool": named(choice).get("name"),
        "tool_required": choice == "required",
        "tool_none": choice == "none",
        "parallel": body.get("parallel_tool_calls") is not False,
    }


def _gemini_budget(body: dict[str, Any]) -> Any:
    """Gemini's OpenAI-compatible endpoint: ``extra_body.google.thinking_config.thinking_budget``
    (0 turns thinking off, -1 is dynamic)."""
    extra = body.get("extra_body")
    google = extra.get("google") if isinstance(extra, dict) else None
    config = google.get("thinking_config") if isinstance(google, dict) else None
    return config.get("thinking_budget") if isinstance(config, dict) else None


class ChatWire:
    dialect = Dialect.OPENAI_CHAT
    suffix = "/chat/completions"

    def parse(self, body: dict[str, Any]) -> Ask:
        media = chat_media(body.get("messages"))  # raises MediaError as the service refuses
        schema = schema_of(body.get("response_format"), "json_schema")
        return Ask(
            **common_fields(body, media),
            **tool_fields(body, nested=True),
            schema=schema,
            has_image=has_part(body.get("messages"), "image_url"),
            cap=cap_of(body, "max_completion_tokens", "max_tokens"),
            reasoning=body.get("reasoning_effort") not in (None, "none")
            or isinstance(body.get("reasoning"), dict)  # OpenRouter's reasoning.effort
            or _gemini_budget(body) not in (None, 0),
            input_chars=input_size(body.get("messages"), body.get("tools")),
        )

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        return {
            "prompt_tokens": reply.input_tokens + reply.cached_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.cached_tokens + reply.output_tokens,
            "prompt_tokens_details": {"cached_tokens": reply.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
        }

    def complete(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if reply.tool_call else reply.text,
            "refusal": None,
        }
        if reply.tool_call:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in reply.calls
            ]
        out: dict[str, Any] = {
            "id": new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": now(),
            "model": ask.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": FINISH[reply.finish],
                }
            ],
            "system_fingerprint": None,
        }
        if reply.usage:
            out["usage"] = self._usage(reply)
        return out

    def stream(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> list[bytes]:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        with_usage = include_usage and reply.usage
        base = {
            "id": new_id("chatcmpl-"),
            "object": "chat.completion.chunk",
            "created": now(),
            "model": ask.model,
            "system_fingerprint": None,
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            data: dict[str, Any] = {**base, "choices": [choice]}
            if with_usage:
                data["usage"] = None
            return frame(data)

        frames = [chunk({"role": "assistant", "content": "", "refusal": None})]
        for n, call in enumerate(reply.calls):
            head = {"index": n, "id": call.id, "type": "function"}
            frames.append(
                chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
            )
            args = call.arguments
            for i in range(0, len(args), 16):
                part = {"index": n, "function": {"arguments": args[i : i + 16]}}
                frames.append(chunk({"tool_calls": [part]}))
        for piece in chunks(reply.text):
            frames.append(chunk({"content": piece}))
        frames.append(chunk({}, FINISH[reply.finish]))
        if with_usage:
            frames.append(frame({**base, "choices": [], "usage": self._usage(reply)}))
        frames.append(b"data: [DONE]\n\n")
        return frames

    def error(self, kind: str, message: str) -> dict[str, Any]:
        return error_body(kind, message)

    def stream_error(self, kind: str, message: str) -> bytes:
        return frame(self.error(kind, message))
