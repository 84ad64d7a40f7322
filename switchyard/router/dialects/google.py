"""Gemini callers (POST /v1/models/{group}:generateContent, also under /v1beta).

Gemini names the model and the method in the path, not the body: ``inbound`` reads them into the
prepared body's ``model`` and ``stream`` so the rest of the router treats every dialect alike
(``wire.upstream_request`` moves them back into the path on the way out).
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds
from switchyard.wire import GOOGLE_BETA_ROUTE, RequestRefused
from switchyard.wire.names import GOOGLE_GENERATE, GOOGLE_SSE_QUERY, GOOGLE_STREAM
from switchyard.wire.reasoning import read_effort

from .base import JSON, DialectAdapter, base_caps, needs_of

MEDIA_PARTS = ("inlineData", "fileData")  # media by mimeType; functionResponse.parts nest them
# mimeType family -> the input modality; any other type (application/pdf, text/*...) is a file
MEDIA_FAMILIES = {
    "image": Capability.IMAGE_INPUT,
    "audio": Capability.AUDIO_INPUT,
    "video": Capability.VIDEO_INPUT,
}
# Tools Google runs itself (grounding, code execution, URL context ...): hosted tools.
FUNCTION_TOOL_KEYS = frozenset({"functionDeclarations"})


class GoogleAdapter(DialectAdapter):
    dialect = Dialect.GOOGLE
    extra_paths = (GOOGLE_BETA_ROUTE,)
    reads_path = True

    def inbound(self, target: str | None, query: str, body: JSON) -> JSON:
        """The body with ``model`` and ``stream`` from the path; refuses a foreign method."""
        model, _, method = (target or "").rpartition(":")
        if not model or method not in (GOOGLE_GENERATE, GOOGLE_STREAM):
            raise RequestRefused(
                f"the path must end in models/{{model}}:{GOOGLE_GENERATE} or :{GOOGLE_STREAM}"
            )
        stream = method == GOOGLE_STREAM
        if stream and GOOGLE_SSE_QUERY not in query.split("&"):
            raise RequestRefused(f"{GOOGLE_STREAM} is served as server-sent events only (alt=sse)")
        for key in ("model", "stream"):
            if key in body:
                raise RequestRefused(f"Invalid JSON payload received. Unknown name {key!r}")
        return {**body, "model": model.removeprefix("models/"), "stream": stream}

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds:
        caps = base_caps(body, size, large_payload_bytes)
        hosted: set[str] = set()
        for tool in body.get("tools") or []:
            for key in tool if isinstance(tool, dict) else ():
                if key in FUNCTION_TOOL_KEYS:
                    caps.add(Capability.TOOLS)
                else:
                    hosted.add(key)
        config = body.get("toolConfig")
        calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
        if isinstance(calling, dict) and calling.get("mode") in ("ANY", "VALIDATED"):
            caps.add(Capability.TOOL_CHOICE)
        gen = body.get("generationConfig")
        gen = gen if isinstance(gen, dict) else {}
        schema = any(gen.get(k) is not None for k in ("responseSchema", "responseJsonSchema"))
        if schema or gen.get("responseMimeType") == "application/json":
            caps.add(Capability.STRUCTURED_OUTPUTS)
        caps |= _media_needs(body.get("contents"))
        if read_effort(Dialect.GOOGLE, body) is not None:
            caps.add(Capability.REASONING)
        capped = gen.get("maxOutputTokens") is not None
        return needs_of(self.dialect, caps, capped, hosted, body)


def _media_needs(contents: Any) -> set[Capability]:
    """The input modalities of every inlineData/fileData part, by its mimeType (a part without
    one counts as a file), including parts nested in a functionResponse."""
    found: set[Capability] = set()
    parts: list[Any] = []
    for content in contents if isinstance(contents, list) else []:
        nested = content.get("parts") if isinstance(content, dict) else None
        parts += nested if isinstance(nested, list) else []
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key in MEDIA_PARTS:
            media = part.get(key)
            if isinstance(media, dict):
                mime = media.get("mimeType")
                family = mime.partition("/")[0].lower() if isinstance(mime, str) else ""
                found.add(MEDIA_FAMILIES.get(family, Capability.FILE_INPUT))
        response = part.get("functionResponse")
        inner = response.get("parts") if isinstance(response, dict) else None
        if isinstance(inner, list):
            parts.extend(p for p in inner if isinstance(p, dict) and "functionResponse" not in p)
    return found
