"""Anthropic Messages callers (POST /v1/messages)."""

from __future__ import annotations

from switchyard.catalog import Capability, Dialect, RequestNeeds

from .base import JSON, DialectAdapter, base_caps, needs_of, part_needs

# content block type -> the input modality it needs (also inside tool_result content);
# a document is a PDF, plain text or custom content source: a file need, not an image one
MEDIA_PARTS = {"image": Capability.IMAGE_INPUT, "document": Capability.FILE_INPUT}
CLIENT_TOOL_TYPES = frozenset({None, "custom"})


class MessagesAdapter(DialectAdapter):
    dialect = Dialect.ANTHROPIC

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
        caps |= part_needs(body.get("messages"), MEDIA_PARTS)
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
            caps.add(Capability.REASONING)
        # max_tokens is mandatory on Messages, so every request is explicitly capped.
        capped = body.get("max_tokens") is not None
        return needs_of(self.dialect, caps, capped, hosted, body)
