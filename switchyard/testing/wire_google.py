"""Google Gemini ``generateContent`` on the wire: requests checked the way the real API checks
them, GenerateContentResponse objects, ``alt=sse`` streams, and google.rpc error bodies.

The real API names the model and the method in the path and refuses unknown body fields
(``Invalid JSON payload received. Unknown name ...``), answers a bad API key with 400
INVALID_ARGUMENT (reason API_KEY_INVALID) and a missing one with 403 PERMISSION_DENIED; so does
this fake. The same paths serve Vertex AI's ``publishers/google/models/...`` form.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import orjson

from switchyard.catalog import Dialect, SwitchyardError
from switchyard.wire.names import GEMINI_SCHEMA_FIELDS

from .media import google_media
from .simulate import Ask, Reply, Tool, chunks
from .wire_base import common_fields, input_size, new_id

PATH = re.compile(r"/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")
FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool": "STOP"}

TOP_LEVEL = frozenset({"contents", "tools", "toolConfig", "safetySettings", "systemInstruction",
                       "generationConfig", "cachedContent", "labels"})  # fmt: skip
GENERATION = frozenset(
    {
        "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
        "responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP", "topK",
        "seed", "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs",
        "thinkingConfig", "mediaResolution", "speechConfig", "enableEnhancedCivicAnswers",
    }
)  # fmt: skip
THINKING = frozenset({"includeThoughts", "thinkingBudget", "thinkingLevel"})
PART_DATA = frozenset({"text", "inlineData", "fileData", "functionCall", "functionResponse",
                       "executableCode", "codeExecutionResult"})  # fmt: skip
PART_META = frozenset({"thought", "thoughtSignature", "videoMetadata", "mediaResolution"})
MAX_BUDGET = 32768

ERRORS: dict[str, tuple[int, str, str]] = {
    "auth": (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    "entitlement": (
        403,
        "PERMISSION_DENIED",
        "This model is not available on your current plan. Please enable billing.",
    ),
    "forbidden": (403, "PERMISSION_DENIED", "The caller does not have permission"),
    "not_found": (
        404,
        "NOT_FOUND",
        "models/unknown is not found for API version v1beta, or is not supported for "
        "generateContent.",
    ),
    "rate_limit": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "server": (500, "INTERNAL", "An internal error has occurred. Please retry."),
    "overloaded": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "bad_request": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
}
UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


class GoogleRequestError(SwitchyardError, ValueError):
    """A request the real API refuses with 400 INVALID_ARGUMENT; the message is its own."""


def route(path: str) -> tuple[str, bool] | None:
    """(model, stream) of a generateContent path, or None."""
    match = PATH.search(path)
    if match is None:
        return None
    return match["model"], match["method"] == "streamGenerateContent"


def _unknown(names: Any, known: frozenset[str] | set[str], where: str) -> None:
    for name in names:
        if name not in known:
            raise GoogleRequestError(
                f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': "
                "Cannot find field."
            )


def _check_schema(schema: Any, where: str, depth: int = 0) -> None:
    if not isinstance(schema, dict) or depth > 32:
        raise GoogleRequestError(f"Invalid value at '{where}': not a Schema object")
    _unknown(schema, GEMINI_SCHEMA_FIELDS, where)
    kind = schema.get("type")
    if kind is not None and (not isinstance(kind, str) or kind.upper() not in
                             {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}):  # fmt: skip
        raise GoogleRequestError(f"Invalid value at '{where}.type': {kind!r}")
    if "properties" in schema and not schema["properties"] and str(kind).upper() == "OBJECT":
        raise GoogleRequestError(f"* {where}.properties: should be non-empty for OBJECT type")
    for name, sub in (schema.get("properties") or {}).items():
        _check_schema(sub, f"{where}.properties[{name}]", depth + 1)
    if "items" in schema:
        _check_schema(schema["items"], f"{where}.items", depth + 1)


def check(body: dict[str, Any]) -> None:
    """What the real API verifies before it answers (400 INVALID_ARGUMENT otherwise)."""
    _unknown(body, TOP_LEVEL, "")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise GoogleRequestError("* GenerateContentRequest.contents: contents is not specified")
    for i, content in enumerate(contents):
        if not isinstance(content, dict) or content.get("role", "user") not in ("user", "model"):
            raise GoogleRequestError(f"Please use a valid role: user, model. (contents[{i}])")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise GoogleRequestError(f"* GenerateContentRequest.contents[{i}].parts: "
                                     "contents.parts must not be empty.")  # fmt: skip
        for j, part in enumerate(parts):
            data = [k for k in part if k in PART_DATA] if isinstance(part, dict) else []
            if len(data) != 1:
                raise GoogleRequestError(f"contents[{i}].parts[{j}]: exactly one data field")
            _unknown(part, PART_DATA | PART_META, f"contents[{i}].parts[{j}]")
    gen = body.get("generationConfig") or {}
    _unknown(gen, GENERATION, "generation_config")
    if "responseSchema" in gen:
        _check_schema(gen["responseSchema"], "generation_config.response_schema")
    thinking = gen.get("thinkingConfig") or {}
    _unknown(thinking, THINKING, "generation_config.thinking_config")
    budget = thinking.get("thinkingBudget")
    if budget is not None and (not isinstance(budget, int) or not -1 <= budget <= MAX_BUDGET):
        raise GoogleRequestError("The thinking budget must be -1 (dynamic), 0 or positive, "
                                 f"at most {MAX_BUDGET}.")  # fmt: skip
    for i, tool in enumerate(body.get("tools") or []):
        for j, fn in enumerate(tool.get("functionDeclarations") or []):
            _unknown(fn, {"name", "description", "parameters", "parametersJsonSchema",
                          "response", "behavior"}, f"tools[{i}].function_declarations[{j}]")  # fmt: skip
            if "parameters" in fn:
                _check_schema(fn["parameters"], f"tools[{i}].function_declarations[{j}].parameters")
    check_signatures(body)


def signature(name: str, args: Any) -> str:
    """The thoughtSignature this fake attaches to a call it made while thinking (deterministic,
    so a later request can be checked without state)."""
    digest = hashlib.sha256(name.encode() + orjson.dumps(args, option=orjson.OPT_SORT_KEYS))
    return base64.b64encode(b"sig:" + digest.digest()).decode()


def _thinking(body: dict[str, Any]) -> bool:
    thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
    return bool(thinking) and thinking.get("thinkingBudget") != 0


def check_signatures(body: dict[str, Any]) -> None:
    """Like Gemini 3 with thinking on: the function calls of the model's last turn must come
    back with the thoughtSignature they were issued with."""
    contents = body.get("contents") or []
    last = next((c for c in reversed(contents) if isinstance(c, dict)
                 and c.get("role") == "model"), None)  # fmt: skip
    if last is None or not _thinking(body):
        return
    for part in last.get("parts") or []:
        call = part.get("functionCall") if isinstance(part, dict) else None
        if isinstance(call, dict):
            expected = signature(str(call.get("name")), call.get("args") or {})
            if part.get("thoughtSignature") != expected:
                raise GoogleRequestError(
                    "Function call is missing a thought_signature in functionCall parts. This "
                    "is required for tools to work correctly."
                )


def _json_schema(schema: Any) -> dict[str, Any]:
    """A Gemini Schema read as JSON Schema (lower-case types) for the fake model."""
    if not isinstance(schema, dict):
        return {}
    out = {k: v for k, v in schema.items() if k not in ("properties", "items", "type")}
    if isinstance(schema.get("type"), str):
        out["type"] = schema["type"].lower()
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {k: _json_schema(v) for k, v in schema["properties"].items()}
    if "items" in schema:
        out["items"] = _json_schema(schema["items"])
    return out


def _has_image(contents: Any) -> bool:
    """An image part: inlineData or fileData whose mimeType is image/* (audio, video and
    documents are media, see testing.media)."""
    return any(
        isinstance(p, dict) and isinstance(spec := p.get("inlineData") or p.get("fileData"), dict)
        and str(spec.get("mimeType", "")).lower().startswith("image/")
        for c in contents if isinstance(c, dict)
        for p in c.get("parts") or []
    )  # fmt: skip


class GoogleWire:
    dialect = Dialect.GOOGLE
    suffix = ":generateContent"  # and :streamGenerateContent (see ``route``)

    def parse(self, body: dict[str, Any]) -> Ask:
        media = google_media(body.get("contents"))  # raises MediaError as the service refuses
        tools = tuple(
            Tool(fn["name"], _json_schema(fn.get("parameters") or fn.get("parametersJsonSchema")))
            for tool in body.get("tools") or []
            for fn in tool.get("functionDeclarations") or []
            if isinstance(fn, dict) and isinstance(fn.get("name"), str)
        )
        calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
        mode = calling.get("mode", "AUTO")
        names = calling.get("allowedFunctionNames") or []
        gen = body.get("generationConfig") or {}
        schema = None
        if gen.get("responseSchema") is not None:
            schema = _json_schema(gen["responseSchema"]) or {"type": "object"}
        elif gen.get("responseJsonSchema") is not None:
            schema = gen["responseJsonSchema"]
        elif gen.get("responseMimeType") == "application/json":
            schema = {}
        thinking = gen.get("thinkingConfig") or {}
        cap = gen.get("maxOutputTokens")
        return Ask(
            **common_fields(body, media),
            tools=tools,
            forced_tool=names[0] if mode == "ANY" and len(names) == 1 else None,
            tool_required=mode == "ANY" and len(names) != 1,
            tool_none=mode == "NONE",
            schema=schema,
            has_image=_has_image(body.get("contents")),
            cap=cap if isinstance(cap, int) else None,
            reasoning=bool(thinking) and thinking.get("thinkingBudget") != 0,
            input_chars=input_size(
                body.get("systemInstruction"), body.get("contents"), body.get("tools")
            ),
        )

    @staticmethod
    def _usage(reply: Reply, final: bool = True) -> dict[str, Any]:
        prompt = reply.input_tokens + reply.cached_tokens
        out = reply.output_tokens - reply.reasoning_tokens if final else 0
        usage: dict[str, Any] = {"promptTokenCount": prompt}
        if final:
            usage["candidatesTokenCount"] = out
        if reply.reasoning_tokens and final:
            usage["thoughtsTokenCount"] = reply.reasoning_tokens
        if reply.cached_tokens:
            usage["cachedContentTokenCount"] = reply.cached_tokens
        usage["totalTokenCount"] = prompt + (reply.output_tokens if final else 0)
        usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
        return usage

    @staticmethod
    def _parts(reply: Reply) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for c in reply.calls:
            args = orjson.loads(c.arguments)
            part: dict[str, Any] = {"functionCall": {"name": c.name, "args": args}}
            if reply.reasoning_tokens:  # a call made while thinking carries its signature
                part["thoughtSignature"] = signature(c.name, args)
            parts.append(part)
        if not parts:
            parts.append({"text": reply.text})
        return parts

    def _response(self, ask: Ask, parts: list[dict[str, Any]], finish: str | None,
                  usage: dict[str, Any] | None, rid: str) -> dict[str, Any]:  # fmt: skip
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish is not None:
            candidate["finishReason"] = finish
        out: dict[str, Any] = {"candidates": [candidate]}
        if usage is not None:
            out["usageMetadata"] = usage
        out["modelVersion"] = ask.model
        out["responseId"] = rid
        return out

    def complete(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        usage = self._usage(reply) if reply.usage else None
        return self._response(ask, self._parts(reply), FINISH[reply.finish], usage,
                              new_id("")[:22])  # fmt: skip

    def chunks(self, ask: Ask, reply: Reply) -> list[dict[str, Any]]:
        """The stream's GenerateContentResponse objects: text in pieces, calls whole, the
        finishReason and the complete usageMetadata on the last."""
        rid = new_id("")[:22]
        pieces = [[p] for p in self._parts(reply)]
        if not reply.calls:
            pieces = [[{"text": t}] for t in chunks(reply.text)] or [[{"text": ""}]]
        out = []
        for i, parts in enumerate(pieces):
            last = i == len(pieces) - 1
            usage = self._usage(reply, final=last) if reply.usage else None
            out.append(self._response(ask, parts, FINISH[reply.finish] if last else None,
                                      usage, rid))  # fmt: skip
        return out

    def stream(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> list[bytes]:
        return [b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in self.chunks(ask, reply)]

    def error(self, kind: str, message: str) -> dict[str, Any]:
        code, status, default = ERRORS.get(kind, ERRORS["server"])
        error: dict[str, Any] = {"code": code, "message": message or default, "status": status}
        if kind == "auth":
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ]
        return {"error": error}

    def status(self, kind: str, default: int) -> int:
        """Google's own status for a failure kind: a bad key is a 400 there."""
        return ERRORS["auth"][0] if kind == "auth" else default

    def stream_error(self, kind: str, message: str) -> bytes:
        return b"data: " + orjson.dumps(self.error(kind, message)) + b"\r\n\r\n"
