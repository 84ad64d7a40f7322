"""OpenAI Chat Completions callers (POST /v1/chat/completions)."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds

from ..sse import SSEEvent
from .base import JSON, USAGE_IN_DATA, Usage, base_caps, has_part, int_pair, needs_of

IMAGE_PARTS = frozenset({"image_url", "input_image", "file"})


class ChatWatcher:
    __slots__ = ("failed", "finished", "usage")

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.finished = False
        self.failed = False

    def observe(self, event: SSEEvent) -> None:
        data = event.data
        if data == "[DONE]":
            self.finished = True
            return
        if USAGE_IN_DATA.search(data):
            usage = event.json().get("usage") or {}
            self.usage = int_pair(usage.get("prompt_tokens"), usage.get("completion_tokens"))
        elif data.startswith('{"error"') or event.event == "error":
            self.failed = True


class ChatAdapter:
    dialect = Dialect.OPENAI_CHAT
    path = "/v1/chat/completions"
    upstream_path = "/chat/completions"

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds:
        caps = base_caps(body, size, large_payload_bytes)
        hosted: set[str] = set()
        tools = body.get("tools") or []
        if tools or body.get("functions"):
            caps.add(Capability.TOOLS)
        choice: Any = body.get("tool_choice")
        if choice == "required" or isinstance(choice, dict):
            caps.add(Capability.TOOL_CHOICE)
        fmt = body.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
            caps.add(Capability.STRUCTURED_OUTPUTS)
        if has_part(body.get("messages"), IMAGE_PARTS):
            caps.add(Capability.IMAGE_INPUT)
        if body.get("reasoning_effort") is not None:
            caps.add(Capability.REASONING)
        if body.get("web_search_options") is not None:
            hosted.add("web_search")
        capped = body.get("max_tokens") is not None or body.get("max_completion_tokens") is not None
        return needs_of(self.dialect, caps, capped, hosted)

    def prepare(self, body: JSON, upstream_model: str, want_usage: bool) -> JSON:
        out = {**body, "model": upstream_model}
        if want_usage and body.get("stream") is True:
            options = dict(body.get("stream_options") or {})
            options["include_usage"] = True
            out["stream_options"] = options
        return out

    def usage(self, body: JSON) -> Usage | None:
        usage = body.get("usage") or {}
        return int_pair(usage.get("prompt_tokens"), usage.get("completion_tokens"))

    def watcher(self) -> ChatWatcher:
        return ChatWatcher()

    def forward_headers(self) -> tuple[str, ...]:
        return ()
