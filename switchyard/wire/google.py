"""Gemini wire facts the probes and the chatToGoogle bridge share: the Schema subset, tool
config, and finish reasons.

Gemini's ``parameters`` and ``responseSchema`` take an OpenAPI-style ``Schema`` object, not full
JSON Schema: its type is an enum name (``OBJECT``, ``STRING`` ...), nullability is a flag, and
keys outside the object (``additionalProperties``, ``$schema``, ``strict`` ...) are refused as
unknown fields. ``gemini_schema`` writes a JSON schema in that form.
"""

from __future__ import annotations

from typing import Any

from .names import GEMINI_SCHEMA_FIELDS

JSON = dict[str, Any]

TYPES = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})

# Gemini finishReason -> Chat finish_reason (a function call ends with STOP on Gemini)
FINISH_REASONS: dict[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}


def gemini_schema(schema: Any, depth: int = 0) -> JSON:
    """``schema`` (JSON Schema) as a Gemini Schema: upper-case types, ``["x", "null"]`` as
    ``nullable``, ``const`` as a one-value enum, unsupported keywords left out."""
    if not isinstance(schema, dict) or depth > 32:
        return {}
    out: JSON = {}
    kind = schema.get("type")
    if isinstance(kind, list):
        others = [k for k in kind if k != "null"]
        if len(others) < len(kind):
            out["nullable"] = True
        kind = others[0] if others else "null"
    if isinstance(kind, str) and kind.upper() in TYPES:
        out["type"] = kind.upper()
    elif "properties" in schema:
        out["type"] = "OBJECT"
    if "const" in schema and "enum" not in schema:
        out["enum"] = [schema["const"]]
    for key, value in schema.items():
        if key not in GEMINI_SCHEMA_FIELDS or key in out or key == "type":
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: gemini_schema(v, depth + 1) for k, v in value.items()}
        elif key == "items":
            out[key] = gemini_schema(value, depth + 1)
        elif key == "anyOf" and isinstance(value, list):
            out[key] = [gemini_schema(v, depth + 1) for v in value]
        else:
            out[key] = value
    return out


def function_calling(mode: str, names: list[str] | None = None) -> JSON:
    """A ``toolConfig``: mode AUTO, ANY (a call is forced; ``names`` limit it) or NONE."""
    config: JSON = {"mode": mode}
    if names:
        config["allowedFunctionNames"] = names
    return {"functionCallingConfig": config}
