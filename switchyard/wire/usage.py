"""Token usage with one meaning on every path (native or bridged, JSON or stream).

``input_tokens`` is every prompt token the upstream processed for the request, cache reads and
cache writes included: what OpenAI reports as ``prompt_tokens`` / ``input_tokens``, and for
Anthropic ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens`` (Anthropic's
own ``input_tokens`` counts only the uncached part), and for Google ``promptTokenCount`` (which
already holds the cached part) plus ``toolUsePromptTokenCount``. ``cached_tokens`` is the part of it read
from a cache. ``output_tokens`` is every generated token, reasoning included (Google:
``candidatesTokenCount + thoughtsTokenCount``). Usage rows, metrics,
cost and probe evidence all use these numbers.

Counts that are not non-negative integers below ``MAX_TOKENS`` make the usage unknown (booked
as missing), never a crash.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from switchyard.catalog import Dialect

MAX_TOKENS = 10**9  # larger counts are not plausible for one request


class Usage(NamedTuple):
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0


def count(value: Any) -> int | None:
    """A plausible token count, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_TOKENS:
        return value
    return None


def _optional(usage: dict[str, Any], key: str) -> int | None:
    """An optional count: absent is 0, present but invalid is None."""
    return 0 if usage.get(key) is None else count(usage.get(key))


def _details(usage: dict[str, Any], key: str) -> int | None:
    details = usage.get(key)
    if details is None:
        return 0
    return _optional(details, "cached_tokens") if isinstance(details, dict) else None


def _openai(usage: Any, inp_key: str, out_key: str, details_key: str) -> Usage | None:
    if not isinstance(usage, dict):
        return None
    inp, out = count(usage.get(inp_key)), count(usage.get(out_key))
    cached = _details(usage, details_key)
    if inp is None or out is None or cached is None:
        return None
    return Usage(inp, out, min(cached, inp))


def openai_chat_usage(usage: Any) -> Usage | None:
    """Chat Completions ``usage`` (prompt_tokens already include cached tokens)."""
    return _openai(usage, "prompt_tokens", "completion_tokens", "prompt_tokens_details")


def openai_responses_usage(usage: Any) -> Usage | None:
    """Responses ``usage`` (input_tokens already include cached tokens)."""
    return _openai(usage, "input_tokens", "output_tokens", "input_tokens_details")


def anthropic_usage(usage: Any) -> Usage | None:
    """Messages ``usage``: uncached input plus cache reads and writes, as one input count."""
    if not isinstance(usage, dict):
        return None
    inp, out = count(usage.get("input_tokens")), count(usage.get("output_tokens"))
    read = _optional(usage, "cache_read_input_tokens")
    created = _optional(usage, "cache_creation_input_tokens")
    if inp is None or out is None or read is None or created is None:
        return None
    return Usage(inp + read + created, out, read)


def google_usage(usage: Any) -> Usage | None:
    """Gemini ``usageMetadata``: prompt (cache included) plus tool-use prompt tokens in;
    candidates plus thoughts out. A stream's early chunks carry no candidate count yet: 0."""
    if not isinstance(usage, dict):
        return None
    values = [count(usage.get("promptTokenCount"))] + [_optional(usage, k) for k in _GOOGLE]
    known = [v for v in values if v is not None]
    if len(known) != len(values):
        return None
    prompt, tool_prompt, out, thoughts, cached = known
    return Usage(prompt + tool_prompt, out + thoughts, min(cached, prompt))


_GOOGLE = (
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
)


def google_reasoning_tokens(usage: Any) -> int | None:
    return count(usage.get("thoughtsTokenCount")) if isinstance(usage, dict) else None


USAGE_READERS = {
    Dialect.OPENAI_CHAT: openai_chat_usage,
    Dialect.OPENAI_RESPONSES: openai_responses_usage,
    Dialect.ANTHROPIC: anthropic_usage,
    Dialect.GOOGLE: google_usage,
}
USAGE_FIELD = {Dialect.GOOGLE: "usageMetadata"}  # where a whole reply keeps its usage


def reply_usage(dialect: Dialect, body: Any) -> Usage | None:
    """The usage of a whole (non-streamed) reply of ``dialect``."""
    if not isinstance(body, dict):
        return None
    return USAGE_READERS[dialect](body.get(USAGE_FIELD.get(dialect, "usage")))


class AnthropicUsageMerger:
    """Messages streams spread usage over ``message_start`` and cumulative ``message_delta``
    events; each field keeps its latest value."""

    __slots__ = ("_fields",)

    def __init__(self) -> None:
        self._fields: dict[str, Any] = {}

    def add(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self._fields.update({k: v for k, v in usage.items() if v is not None})

    @property
    def usage(self) -> Usage | None:
        return anthropic_usage(self._fields) if self._fields else None
