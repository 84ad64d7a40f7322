"""Anthropic Messages callers (POST /v1/messages)."""

from __future__ import annotations

from switchyard.catalog import Capability, Dialect, RequestNeeds

from ..sse import SSEEvent
from .base import JSON, Usage, base_caps, has_part, needs_of

IMAGE_PARTS = frozenset({"image", "document"})
CLIENT_TOOL_TYPES = frozenset({None, "custom"})


class MessagesWatcher:
    __slots__ = ("_input", "_output", "failed", "finished")

    def __init__(self) -> None:
        self._input: int | None = None
        self._output: int | None = None
        self.finished = False
        self.failed = False

    @property
    def usage(self) -> Usage | None:
        if self._input is None or self._output is None:
            return None
        return self._input, self._output

    def observe(self, event: SSEEvent) -> None:
        kind = event.event
        if kind == "message_start":
            usage = (event.json().get("message") or {}).get("usage") or {}
            if isinstance(usage.get("input_tokens"), int):
                self._input = usage["input_tokens"]
            if isinstance(usage.get("output_tokens"), int):
                self._output = usage["output_tokens"]
        elif kind == "message_delta":
            usage = event.json().get("usage") or {}
            if isinstance(usage.get("output_tokens"), int):
                self._output = usage["output_tokens"]
            if isinstance(usage.get("input_tokens"), int):
                self._input = usage["input_tokens"]
        elif kind == "message_stop":
            self.finished = True
        elif kind == "error":
            self.failed = True


class MessagesAdapter:
    dialect = Dialect.ANTHROPIC
    path = "/v1/messages"
    upstream_path = "/messages"

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds:
        caps = base_caps(body, size, large_payload_bytes)
        hosted: set[str] = set()
        for tool in body.get("tools") or []:
            if not isinstance(tool, dict):
                continue
            if tool.get("type") in CLIENT_TOOL_TYPES:
                caps.add(Capability.TOOLS)
            else:
                hosted.add(str(tool["type"]))
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
            caps.add(Capability.TOOL_CHOICE)
        fmt = body.get("output_format") or (body.get("output_config") or {}).get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            caps.add(Capability.STRUCTURED_OUTPUTS)
        if has_part(body.get("messages"), IMAGE_PARTS):
            caps.add(Capability.IMAGE_INPUT)
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
            caps.add(Capability.REASONING)
        # max_tokens is mandatory on Messages, so every request is explicitly capped.
        capped = body.get("max_tokens") is not None
        return needs_of(self.dialect, caps, capped, hosted)

    def prepare(self, body: JSON, upstream_model: str, want_usage: bool) -> JSON:
        return {**body, "model": upstream_model}

    def usage(self, body: JSON) -> Usage | None:
        usage = body.get("usage") or {}
        a, b = usage.get("input_tokens"), usage.get("output_tokens")
        return (a, b) if isinstance(a, int) and isinstance(b, int) else None

    def watcher(self) -> MessagesWatcher:
        return MessagesWatcher()

    def forward_headers(self) -> tuple[str, ...]:
        return ("anthropic-version", "anthropic-beta")
