"""OpenAI Responses callers (POST /v1/responses)."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds

from .base import JSON, DialectAdapter, base_caps, needs_of, part_needs

# input content type -> the input modality it needs (also inside function_call_output lists)
MEDIA_PARTS = {
    "input_image": Capability.IMAGE_INPUT,
    "input_file": Capability.FILE_INPUT,
    "input_audio": Capability.AUDIO_INPUT,
}
# Tools the caller runs itself: functions and custom (free-text) tools. A namespace groups
# such tools under a name (Codex's multi-agent tools); only its members' types count.
FUNCTION_TOOLS = frozenset({"function", "custom"})


class ResponsesAdapter(DialectAdapter):
    dialect = Dialect.OPENAI_RESPONSES

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds:
        caps = base_caps(body, size, large_payload_bytes)
        hosted: set[str] = set()
        for kind in _tool_types(body.get("tools")):
            if kind in FUNCTION_TOOLS:
                caps.add(Capability.TOOLS)
            else:
                hosted.add(kind)
        choice = body.get("tool_choice")
        if choice == "required" or (isinstance(choice, dict) and choice.get("type") == "function"):
            caps.add(Capability.TOOL_CHOICE)
        fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
        if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
            caps.add(Capability.STRUCTURED_OUTPUTS)
        caps |= part_needs(body.get("input"), MEDIA_PARTS)
        reasoning = body.get("reasoning")
        if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
            caps.add(Capability.REASONING)
        capped = body.get("max_output_tokens") is not None
        return needs_of(self.dialect, caps, capped, hosted, body)


def _tool_types(tools: Any) -> list[str]:
    """Every tool type the request offers, namespace members in place of their namespace."""
    out: list[str] = []
    for tool in tools if isinstance(tools, list) else []:
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "namespace":
            out += _tool_types(tool.get("tools"))
        elif isinstance(kind, str):
            out.append(kind)
    return out
