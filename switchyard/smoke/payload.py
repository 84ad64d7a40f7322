"""Synthetic large coding-agent payloads: filler turns and representative function schemas.

Everything is generated from a fixed word list, so no customer content can ever end up in a
probe, and the same arguments always give the same request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .dialects import Body, DialectAdapter, ToolSpec

_WORDS: tuple[str, ...] = (
    "refactor",
    "module",
    "parser",
    "buffer",
    "index",
    "render",
    "route",
    "target",
    "weight",
    "bridge",
    "stream",
    "token",
    "cache",
    "schema",
    "config",
    "deploy",
    "reload",
    "budget",
    "latency",
    "session",
    "router",
    "upstream",
    "header",
    "status",
    "evidence",
    "probe",
    "catalog",
    "provider",
    "group",
    "fallback",
    "gateway",
    "request",
    "response",
    "function",
    "argument",
    "value",
)

_TOOL_KINDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("read_file", "Read a file from the workspace.", {"path": "string", "offset": "integer"}),
    ("write_file", "Write a file in the workspace.", {"path": "string", "content": "string"}),
    ("search_code", "Search the workspace for a pattern.", {"pattern": "string", "glob": "string"}),
    (
        "run_command",
        "Run a shell command in a sandbox.",
        {"command": "string", "timeout": "integer"},
    ),
    ("list_dir", "List a directory.", {"path": "string", "depth": "integer"}),
    ("apply_patch", "Apply a unified diff.", {"patch": "string", "check": "boolean"}),
)

TAIL_PROMPT = "Ignore the filler above. Reply with exactly: {expected}"


def tool_schemas(count: int) -> list[ToolSpec]:
    """`count` distinct, realistic function tools (names are unique: kind + index)."""
    tools = []
    for i in range(count):
        name, description, params = _TOOL_KINDS[i % len(_TOOL_KINDS)]
        properties: dict[str, Any] = {
            key: {"type": kind, "description": f"The {key} to use."} for key, kind in params.items()
        }
        properties["reason"] = {
            "type": "string",
            "enum": ["explore", "edit", "verify"],
            "description": "Why the tool is called.",
        }
        tools.append(
            ToolSpec(
                name=f"{name}_{i}",
                description=description,
                parameters={
                    "type": "object",
                    "properties": properties,
                    "required": sorted(params)[:1],
                    "additionalProperties": False,
                },
            )
        )
    return tools


def filler_text(n_bytes: int, seed: int = 0) -> str:
    words: list[str] = []
    size, i = 0, seed
    while size < n_bytes:
        word = _WORDS[(i * 7 + i // len(_WORDS)) % len(_WORDS)]
        words.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(words)[:n_bytes]


@dataclass(frozen=True)
class LargePayloadShape:
    """Scalar metrics of one large request: the only things the probe reports about it."""

    request_bytes: int
    tool_count: int
    tool_schema_bytes: int
    max_tokens: int
    turns: int

    def detail(self) -> str:
        return (
            f"requestBytes={self.request_bytes} toolCount={self.tool_count} "
            f"toolSchemaBytes={self.tool_schema_bytes} maxTokens={self.max_tokens}"
        )


def _size(body: Body) -> int:
    return len(json.dumps(body, separators=(",", ":")).encode())


def build_large_payload(
    adapter: DialectAdapter,
    model: str,
    expected: str,
    target_bytes: int,
    tool_count: int,
    max_tokens: int,
    turn_bytes: int = 8192,
) -> tuple[Body, LargePayloadShape]:
    """A request of about `target_bytes` (never less) in the adapter's dialect."""
    tools = tool_schemas(tool_count)
    tail = ("user", TAIL_PROMPT.format(expected=expected))
    base = adapter.conversation(model, [tail], tools, max_tokens)
    room = max(0, target_bytes - _size(base))
    turns: list[tuple[str, str]] = []
    seed = 0
    while room > 0:
        # per-turn envelope (role, quotes, content wrapper) is small; the fixup below closes it
        chunk = min(turn_bytes, room)
        role = "user" if len(turns) % 2 == 0 else "assistant"
        turns.append((role, filler_text(chunk, seed)))
        seed += 1
        room -= chunk + 64
    if turns and turns[-1][0] == "user":
        turns.append(("assistant", "Noted."))
    body = adapter.conversation(model, [*turns, tail], tools, max_tokens)
    short = target_bytes - _size(body)
    if short > 0 and turns:
        role, text = turns[0]
        turns[0] = (role, text + " " + filler_text(short, seed))
        body = adapter.conversation(model, [*turns, tail], tools, max_tokens)
    schema_bytes = sum(len(json.dumps(t.parameters, separators=(",", ":")).encode()) for t in tools)
    shape = LargePayloadShape(
        request_bytes=_size(body),
        tool_count=len(tools),
        tool_schema_bytes=schema_bytes,
        max_tokens=max_tokens,
        turns=len(turns) + 1,
    )
    return body, shape
