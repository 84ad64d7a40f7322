"""Anthropic Messages (`POST {base}/messages`; the base URL carries `/v1`)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from switchyard.catalog import Dialect, ReasoningControl
from switchyard.wire import AnthropicUsageMerger, SSEEvent, anthropic_usage

from .base import Body, Reply, ToolCall, ToolSpec
from .bodies import RequestBodies, b64
from .replies import MalformedStreamError, expect_dict, parse_arguments, typed_event

THINKING_BUDGET = 1024  # the smallest budget Anthropic accepts


class Anthropic(RequestBodies):
    dialect = Dialect.ANTHROPIC
    reasoning_value = THINKING_BUDGET
    cap_field = "max_tokens"
    min_cap = 1
    reasoning_control = ReasoningControl.ANTHROPIC_BUDGET
    reasoning_controls: tuple[ReasoningControl, ...] = (ReasoningControl.ANTHROPIC_BUDGET,)

    def turn(self, role: str, text: str) -> Body:
        return {"role": role, "content": text}

    def image_turn(self, prompt: str, png: bytes) -> Body:
        source = {"type": "base64", "media_type": "image/png",
                  "data": base64.b64encode(png).decode()}  # fmt: skip
        parts = [{"type": "image", "source": source}, {"type": "text", "text": prompt}]
        return {"role": "user", "content": parts}  # the image first, as Anthropic advises

    def file_turn(self, prompt: str, pdf: bytes, filename: str) -> Body:
        source = {"type": "base64", "media_type": "application/pdf", "data": b64(pdf)}
        parts = [{"type": "document", "source": source, "title": filename},
                 {"type": "text", "text": prompt}]  # fmt: skip
        return {"role": "user", "content": parts}

    def tool(self, spec: ToolSpec) -> Body:
        return {"name": spec.name, "description": spec.description, "input_schema": spec.parameters}

    def choice(self, forced: str | None) -> Any:
        return {"type": "tool", "name": forced} if forced else {"type": "auto"}

    def output_format(self, name: str, schema: dict[str, Any]) -> Body:
        return {"output_config": {"format": {"type": "json_schema", "schema": schema}}}

    def reasoning(self, model: str, prompt: str, cap: int, control: ReasoningControl) -> Body:
        # max_tokens must exceed the thinking budget
        return super().reasoning(model, prompt, max(cap, THINKING_BUDGET + 256), control)

    def reply(self, body: Any) -> Reply:
        data = expect_dict(body, "message")
        if data.get("type") != "message" or not isinstance(data.get("content"), list):
            raise ValueError("not a message object")
        reply = Reply(finish=data.get("stop_reason"))
        for block in data["content"]:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text":
                reply.text += str(block.get("text") or "")
            elif kind == "tool_use" and isinstance(block.get("name"), str):
                reply.tool_calls.append(
                    ToolCall(block["name"], parse_arguments(block.get("input")))
                )
            elif kind in ("thinking", "redacted_thinking"):
                reply.reasoning_seen = True
        reply.set_usage(anthropic_usage(data.get("usage")))
        return reply

    def stream_reply(self, events: Sequence[SSEEvent]) -> Reply:
        state = _StreamState()
        for event in events:
            data = typed_event(event)
            state.feed(data)
        return state.finish()


class _StreamState:
    """Follows the Messages event grammar: message_start, blocks, message_delta, message_stop."""

    def __init__(self) -> None:
        self.reply = Reply()
        self.blocks: dict[int, dict[str, Any]] = {}
        self.seen: list[str] = []
        self.usage = AnthropicUsageMerger()

    def feed(self, data: dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "ping":
            return
        if self.seen and self.seen[-1] == "message_stop":
            raise MalformedStreamError("events after message_stop")
        self.seen.append(kind)
        handler = getattr(self, "_" + kind, None)
        if handler is not None:
            handler(data)

    def _message_start(self, data: dict[str, Any]) -> None:
        self.usage.add((data.get("message") or {}).get("usage"))

    def _content_block_start(self, data: dict[str, Any]) -> None:
        block = data.get("content_block") or {}
        self.blocks[int(data.get("index", 0))] = {
            "type": block.get("type"),
            "name": block.get("name"),
            "json": "",
            "open": True,
        }
        if block.get("type") == "text":
            self.reply.text += str(block.get("text") or "")

    def _content_block_delta(self, data: dict[str, Any]) -> None:
        slot = self.blocks.get(int(data.get("index", -1)))
        if slot is None or not slot["open"]:
            raise MalformedStreamError("delta for a block that is not open")
        delta = data.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            self.reply.text += str(delta.get("text") or "")
        elif kind == "input_json_delta":
            slot["json"] += str(delta.get("partial_json") or "")
        elif kind in ("thinking_delta", "signature_delta"):
            self.reply.reasoning_seen = True

    def _content_block_stop(self, data: dict[str, Any]) -> None:
        slot = self.blocks.get(int(data.get("index", -1)))
        if slot is None:
            raise MalformedStreamError("stop for a block that never started")
        slot["open"] = False

    def _message_delta(self, data: dict[str, Any]) -> None:
        self.reply.finish = (data.get("delta") or {}).get("stop_reason")
        self.usage.add(data.get("usage"))

    def finish(self) -> Reply:
        if not self.seen or self.seen[0] != "message_start":
            raise MalformedStreamError("stream did not start with message_start")
        if self.seen[-1] != "message_stop":
            raise MalformedStreamError("stream did not end with message_stop")
        if any(b["open"] for b in self.blocks.values()):
            raise MalformedStreamError("a content block was never stopped")
        self.reply.set_usage(self.usage.usage)
        for _, slot in sorted(self.blocks.items()):
            if slot["type"] == "tool_use" and isinstance(slot["name"], str):
                args = parse_arguments(slot["json"]) if slot["json"] else {}
                self.reply.tool_calls.append(ToolCall(slot["name"], args))
        return self.reply
