"""Anthropic Messages on the wire: message objects, the typed event stream, error bodies."""

from __future__ import annotations

from typing import Any

import orjson

from switchyard.catalog import Dialect

from .media import anthropic_media
from .simulate import Ask, Reply, Tool, chunks
from .wire_base import cap_of, common_fields, frame, has_part, input_size, new_id, schema_of

STOP = {"stop": "end_turn", "length": "max_tokens", "tool": "tool_use"}

ERRORS: dict[str, tuple[str, str]] = {
    "auth": ("authentication_error", "invalid x-api-key"),
    "entitlement": (
        "permission_error",
        "Your organization is not entitled to use this model on its current plan.",
    ),
    "forbidden": ("permission_error", "Forbidden."),
    "not_found": ("not_found_error", "model: not found"),
    "rate_limit": ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    "server": ("api_error", "Internal server error"),
    "overloaded": ("overloaded_error", "Overloaded"),
    "bad_request": ("invalid_request_error", "Invalid request."),
}

THINKING = "Considering the request."


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("output_format") or (body.get("output_config") or {}).get("format")
    schema = schema_of(fmt)
    return schema if schema != {} else None  # Messages has no plain JSON mode


class AnthropicWire:
    dialect = Dialect.ANTHROPIC
    suffix = "/messages"

    def parse(self, body: dict[str, Any]) -> Ask:
        media = anthropic_media(body.get("messages"))  # raises MediaError as the service refuses
        tools = tuple(
            Tool(t["name"], t.get("input_schema") or {})
            for t in body.get("tools") or []
            if isinstance(t, dict) and "input_schema" in t and "name" in t
        )
        choice = body.get("tool_choice") or {}
        thinking = body.get("thinking") or {}
        effort = (body.get("output_config") or {}).get("effort")
        return Ask(
            **common_fields(body, media),
            tools=tools,
            forced_tool=choice.get("name") if choice.get("type") == "tool" else None,
            tool_required=choice.get("type") == "any",
            tool_none=choice.get("type") == "none",
            schema=_schema(body),
            has_image=has_part(body.get("messages"), "image"),
            cap=cap_of(body, "max_tokens"),
            reasoning=thinking.get("type") in ("enabled", "adaptive") or effort is not None,
            input_chars=input_size(body.get("system"), body.get("messages"), body.get("tools")),
            parallel=not choice.get("disable_parallel_tool_use"),
        )

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens if reply.usage else 0,
            "output_tokens": reply.output_tokens if reply.usage else 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": reply.cached_tokens if reply.usage else 0,
        }

    @staticmethod
    def _blocks(reply: Reply) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if reply.reasoning_tokens:
            blocks.append({"type": "thinking", "thinking": THINKING, "signature": "c2lnbmF0dXJl"})
        for call in reply.calls:
            tid = "toolu_" + call.id.removeprefix("call_")
            blocks.append(
                {
                    "type": "tool_use",
                    "id": tid,
                    "name": call.name,
                    "input": orjson.loads(call.arguments),
                }
            )
        if not reply.calls and (reply.text or not blocks):
            blocks.append({"type": "text", "text": reply.text})
        return blocks

    def complete(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": ask.model,
            "content": self._blocks(reply),
            "stop_reason": STOP[reply.finish],
            "stop_sequence": None,
            "usage": self._usage(reply),
        }

    def stream(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> list[bytes]:
        frames: list[bytes] = []

        def emit(kind: str, **fields: Any) -> None:
            frames.append(frame({"type": kind, **fields}, kind))

        start_usage = {**self._usage(reply), "output_tokens": 1 if reply.usage else 0}
        message: dict[str, Any] = {
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": ask.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        emit("message_start", message=message)
        for index, block in enumerate(self._blocks(reply)):
            if block["type"] == "thinking":
                emit(
                    "content_block_start",
                    index=index,
                    content_block={**block, "thinking": "", "signature": ""},
                )
                delta = {"type": "thinking_delta", "thinking": block["thinking"]}
                emit("content_block_delta", index=index, delta=delta)
                delta = {"type": "signature_delta", "signature": block["signature"]}
                emit("content_block_delta", index=index, delta=delta)
            elif block["type"] == "tool_use":
                emit("content_block_start", index=index, content_block={**block, "input": {}})
                args = orjson.dumps(block["input"]).decode()
                for i in range(0, len(args), 16):
                    delta = {"type": "input_json_delta", "partial_json": args[i : i + 16]}
                    emit("content_block_delta", index=index, delta=delta)
            else:
                emit("content_block_start", index=index, content_block={"type": "text", "text": ""})
                if index == 0:
                    emit("ping")
                for piece in chunks(block["text"]):
                    emit(
                        "content_block_delta",
                        index=index,
                        delta={"type": "text_delta", "text": piece},
                    )
            emit("content_block_stop", index=index)
        emit(
            "message_delta",
            delta={"stop_reason": STOP[reply.finish], "stop_sequence": None},
            usage={"output_tokens": reply.output_tokens if reply.usage else 0},
        )
        emit("message_stop")
        return frames

    def error(self, kind: str, message: str) -> dict[str, Any]:
        etype, default = ERRORS.get(kind, ERRORS["server"])
        return {
            "type": "error",
            "error": {"type": etype, "message": message or default},
            "request_id": new_id("req_"),
        }

    def stream_error(self, kind: str, message: str) -> bytes:
        etype, default = ERRORS.get(kind, ERRORS["server"])
        return frame(
            {"type": "error", "error": {"type": etype, "message": message or default}}, "error"
        )
