"""OpenAI Chat Completions callers (POST /v1/chat/completions)."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds

from .base import JSON, DialectAdapter, base_caps, needs_of, part_needs

# content part type -> the input modality it needs (a ``file`` part is a document, mostly PDF)
MEDIA_PARTS = {
    "image_url": Capability.IMAGE_INPUT,
    "input_image": Capability.IMAGE_INPUT,
    "input_audio": Capability.AUDIO_INPUT,
    "file": Capability.FILE_INPUT,
}


class ChatAdapter(DialectAdapter):
    dialect = Dialect.OPENAI_CHAT

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
        caps |= part_needs(body.get("messages"), MEDIA_PARTS)
        if body.get("reasoning_effort") is not None:
            caps.add(Capability.REASONING)
        if body.get("web_search_options") is not None:
            hosted.add("web_search")
        capped = body.get("max_tokens") is not None or body.get("max_completion_tokens") is not None
        return needs_of(self.dialect, caps, capped, hosted, body)
