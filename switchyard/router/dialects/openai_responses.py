"""OpenAI Responses callers (POST /v1/responses)."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds

from ..sse import SSEEvent
from .base import JSON, Usage, base_caps, has_part, int_pair, needs_of

IMAGE_PARTS = frozenset({"input_image", "input_file"})
TERMINAL = frozenset({"response.completed", "response.incomplete"})
FUNCTION_TOOLS = frozenset({"function", "custom"})


def _usage(response: Any) -> Usage | None:
    usage = (response or {}).get("usage") or {}
    return int_pair(usage.get("input_tokens"), usage.get("output_tokens"))


class ResponsesWatcher:
    __slots__ = ("failed", "finished", "usage")

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.finished = False
        self.failed = False

    def observe(self, event: SSEEvent) -> None:
        kind = event.event
        if kind is None and '"type":"response.' in event.data:
            kind = str(event.json().get("type"))
        if kind in TERMINAL:
            self.finished = True
            self.usage = _usage(event.json().get("response"))
        elif kind in ("error", "response.failed"):
            self.failed = True


class ResponsesAdapter:
    dialect = Dialect.OPENAI_RESPONSES
    path = "/v1/responses"
    upstream_path = "/responses"

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds:
        caps = base_caps(body, size, large_payload_bytes)
        hosted: set[str] = set()
        for tool in body.get("tools") or []:
            kind = tool.get("type") if isinstance(tool, dict) else None
            if kind in FUNCTION_TOOLS:
                caps.add(Capability.TOOLS)
            elif isinstance(kind, str):
                hosted.add(kind)
        choice = body.get("tool_choice")
        if choice == "required" or (isinstance(choice, dict) and choice.get("type") == "function"):
            caps.add(Capability.TOOL_CHOICE)
        fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
        if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
            caps.add(Capability.STRUCTURED_OUTPUTS)
        if has_part(body.get("input"), IMAGE_PARTS):
            caps.add(Capability.IMAGE_INPUT)
        reasoning = body.get("reasoning")
        if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
            caps.add(Capability.REASONING)
        capped = body.get("max_output_tokens") is not None
        return needs_of(self.dialect, caps, capped, hosted)

    def prepare(self, body: JSON, upstream_model: str, want_usage: bool) -> JSON:
        return {**body, "model": upstream_model}

    def usage(self, body: JSON) -> Usage | None:
        return _usage(body)

    def watcher(self) -> ResponsesWatcher:
        return ResponsesWatcher()

    def forward_headers(self) -> tuple[str, ...]:
        return ("openai-beta",)
