"""What the fake model "says": a pure function of a dialect-neutral request and a behaviour.

Deterministic on purpose: tests and probes assert exact outcomes. Token counts are rough
(input: 4 characters a token; output: one token a word) but consistent across dialects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from switchyard.catalog import SwitchyardError

from .scenario import Behaviour

FILLER = [
    "and",
    "so",
    "the",
    "model",
    "kept",
    "writing",
    "past",
    "the",
    "requested",
    "cap",
    "without",
    "stopping",
]


@dataclass(frozen=True)
class Tool:
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ask:
    """A request reduced to what the fake model reacts to (same for every dialect)."""

    model: str
    stream: bool = False
    tools: tuple[Tool, ...] = ()
    forced_tool: str | None = None  # a named function tool_choice
    tool_required: bool = False  # tool_choice required / any
    tool_none: bool = False  # tool_choice none
    schema: dict[str, Any] | None = None  # structured output JSON schema ({} for json_object)
    has_image: bool = False
    cap: int | None = None
    reasoning: bool = False
    input_chars: int = 0
    parallel: bool = True  # the request allows parallel tool calls
    hosted: tuple[str, ...] = ()  # provider-hosted tools offered (Responses: web_search ...)
    media: frozenset[str] = frozenset()  # audio, file, video parts sent (see testing.media)
    media_text: str | None = None  # what the model reads or hears in them


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    text: str
    tool_call: ToolCall | None
    finish: str  # stop | length | tool
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    usage: bool
    more_calls: tuple[ToolCall, ...] = ()  # parallel calls after tool_call
    cached_tokens: int = 0  # prompt tokens read from a cache, on top of input_tokens
    hosted_calls: tuple[str, ...] = ()  # hosted tools the model ran before answering

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        return (self.tool_call, *self.more_calls) if self.tool_call else ()


class UnsupportedError(SwitchyardError):
    """The request uses a capability this model rejects (scenario `unsupported: reject`)."""


def instance_of(schema: dict[str, Any], depth: int = 0) -> Any:
    """A small value that satisfies a (simple) JSON schema: enough for tools and outputs."""
    if depth > 8:
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        keys = schema.get("required") or list(props)
        return {k: instance_of(props.get(k, {}), depth + 1) for k in keys}
    if kind == "array":
        items = schema.get("items", {})
        return [instance_of(items, depth + 1) for _ in range(schema.get("minItems", 1))]
    return {"string": "OK", "integer": 1, "number": 1, "boolean": True, "null": None}.get(
        kind, "OK"
    )


def _words(text: str) -> int:
    return len(text.split())


def _call_id(ask: Ask, name: str) -> str:
    return "call_" + hashlib.sha256(f"{ask.model}/{name}".encode()).hexdigest()[:24]


def _check(ask: Ask, b: Behaviour) -> tuple[bool, bool, bool, bool]:
    """Which requested features this model serves; raise when it rejects them."""
    tools_ok = b.tools or not ask.tools
    forced = ask.forced_tool is not None or ask.tool_required
    choice_ok = b.tool_choice or not forced
    schema_ok = b.structured_outputs or ask.schema is None
    image_ok = b.images or not ask.has_image
    reasoning_ok = b.reasoning or not ask.reasoning
    stream_ok = b.streaming or not ask.stream
    if b.unsupported == "reject":
        for ok, what in (
            (tools_ok, "tools"),
            (choice_ok, "tool_choice"),
            (schema_ok, "structured outputs"),
            (image_ok, "image input"),
            (reasoning_ok, "reasoning"),
            (stream_ok, "streaming"),
        ):
            if not ok:
                raise UnsupportedError(f"this model does not support {what}")
    return tools_ok and bool(ask.tools), choice_ok, schema_ok, image_ok


def answer(ask: Ask, b: Behaviour) -> Reply:
    """The model's reply. Raises UnsupportedError for rejected capabilities."""
    for kind, ok in (("audio", b.audio), ("file", b.files), ("video", b.video)):
        if kind in ask.media and not ok:  # real services refuse these; none ignores them
            raise UnsupportedError(f"this model does not support {kind} input")
    use_tools, choice_ok, schema_ok, image_ok = _check(ask, b)
    input_tokens = max(1, ask.input_chars // 4)
    reasoning_tokens = 8 if ask.reasoning and b.reasoning else 0
    calls: list[ToolCall] = []
    if use_tools and not ask.tool_none:
        name = ask.forced_tool if (ask.forced_tool and choice_ok) else None
        tool = next((t for t in ask.tools if t.name == name), ask.tools[0])
        chosen = [tool]
        if b.parallel_tool_calls and ask.parallel and name is None:
            chosen = list(ask.tools)
        for t in chosen:
            args = orjson.dumps(instance_of(t.parameters or {"type": "object"})).decode()
            calls.append(ToolCall(_call_id(ask, t.name), t.name, args))
    if calls:
        out = max(1, sum(len(c.arguments) for c in calls) // 4)
        return Reply(
            "",
            calls[0],
            "tool",
            input_tokens,
            out + reasoning_tokens,
            reasoning_tokens,
            b.usage,
            tuple(calls[1:]),
        )

    if ask.schema is not None and schema_ok:
        text = orjson.dumps(instance_of(ask.schema) if ask.schema else {"answer": "OK"}).decode()
    elif ask.media_text is not None:
        text = ask.media_text
    elif ask.has_image and image_ok:
        text = b.image_reply
    else:
        text = b.reply
    finish = "stop"
    if ask.cap is not None:
        if ask.cap <= b.empty_under_cap:
            return Reply("", None, "length", input_tokens, ask.cap, ask.cap, b.usage)
        words = text.split()
        if b.honors_max_tokens and len(words) > ask.cap:
            text, finish = " ".join(words[: ask.cap]), "length"
        elif not b.honors_max_tokens:
            extra = ask.cap + 16 - len(words)
            text = " ".join([*words, *(FILLER * (extra // len(FILLER) + 1))[: max(extra, 0)]])
    out = max(1, _words(text)) if text else 0
    return Reply(
        text, None, finish, input_tokens, out + reasoning_tokens, reasoning_tokens, b.usage
    )


def chunks(text: str, size: int = 3) -> list[str]:
    """Split text into stream deltas of a few words, keeping the spaces."""
    words = text.split(" ")
    if not text:
        return []
    return [
        " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")
        for i in range(0, len(words), size)
    ]
