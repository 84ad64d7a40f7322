"""What a dialect adapter does for the probes, and the shapes they exchange.

An adapter builds the real request body of each probe for its dialect and reads the answer back
into a `Reply`; the tasks never look at wire formats themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchyard.catalog import Dialect, ReasoningControl, SwitchyardError
from switchyard.wire import SSEEvent, Usage

Body = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: Any  # parsed JSON (None when the arguments did not parse)


@dataclass
class Reply:
    """A response reduced to what the checks need; nothing of it is ever printed raw."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    reasoning_seen: bool = False  # reasoning text/blocks came back separately
    hosted_calls: list[str] = field(default_factory=list)  # hosted tools the provider ran
    finish: str | None = None

    @property
    def has_usage(self) -> bool:
        return self.input_tokens is not None and self.output_tokens is not None

    def set_usage(self, usage: Usage | None) -> None:
        """Usage in ``wire.usage`` meaning (the router books the same numbers)."""
        if usage is not None:
            self.input_tokens, self.output_tokens = usage.input_tokens, usage.output_tokens


class MalformedStreamError(SwitchyardError, ValueError):
    """The event stream broke its dialect's grammar; the message is a short safe note."""


class StreamFailedError(SwitchyardError, ValueError):
    """The stream carried an error event after it started."""


class DialectAdapter(Protocol):
    dialect: Dialect
    cap_field: str  # the dialect's own output-cap field
    min_cap: int  # the smallest cap the reference API accepts
    reasoning_control: ReasoningControl  # the default control the reasoning probe tests
    reasoning_controls: tuple[ReasoningControl, ...]  # the controls this dialect can carry

    @property
    def path(self) -> str: ...  # appended to the base URL: wire.UPSTREAM_PATH of the dialect

    def text(self, model: str, prompt: str, cap: int) -> Body: ...

    def conversation(
        self, model: str, turns: Sequence[tuple[str, str]], tools: Sequence[ToolSpec], cap: int
    ) -> Body: ...

    def tools(
        self, model: str, prompt: str, tools: Sequence[ToolSpec], cap: int, forced: str | None
    ) -> Body: ...

    def parallel_tools(
        self, model: str, prompt: str, tools: Sequence[ToolSpec], cap: int
    ) -> Body: ...

    def structured(
        self, model: str, prompt: str, name: str, schema: dict[str, Any], cap: int
    ) -> Body: ...

    def image(self, model: str, prompt: str, png: bytes, cap: int) -> Body: ...

    def audio(self, model: str, prompt: str, wav: bytes, cap: int) -> Body | None: ...

    def document(self, model: str, prompt: str, pdf: bytes, cap: int) -> Body | None: ...

    def reasoning(self, model: str, prompt: str, cap: int, control: ReasoningControl) -> Body: ...

    def streaming(self, body: Body) -> Body: ...

    def hosted(self, model: str, prompt: str, tool: str, cap: int) -> Body | None: ...

    def reply(self, body: Any) -> Reply: ...

    def stream_reply(self, events: Sequence[SSEEvent]) -> Reply: ...


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_arguments(raw: Any) -> Any:
    """Tool arguments arrive as a JSON string (OpenAI) or an object (Anthropic)."""
    import json

    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return None


def expect_dict(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError(f"{what} is not a JSON object")
    return body


def object_event(event: SSEEvent) -> dict[str, Any]:
    """An event of an untyped stream (Chat, Gemini): a JSON object that is not an error."""
    try:
        data = event.json()
    except ValueError:
        raise MalformedStreamError("event data is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedStreamError("event data is not an object")
    if "error" in data:
        raise StreamFailedError("error event in stream")
    return data


def typed_event(event: SSEEvent) -> dict[str, Any]:
    """An event of a typed stream (Responses, Messages): JSON with a ``type`` that agrees with
    the SSE event name; anything else breaks the grammar."""
    try:
        data = event.json()
    except ValueError:
        raise MalformedStreamError("event data is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise MalformedStreamError("event without a type")
    if event.event is not None and event.event != data["type"]:
        raise MalformedStreamError("event name and data type disagree")
    return data


def read_usage(
    reply: Reply, usage: Any, reader: Callable[[Any], Usage | None], details_key: str
) -> None:
    """Token counts in wire.usage meaning, plus the reasoning tokens the dialect reports."""
    reply.set_usage(reader(usage))
    details = usage.get(details_key) if isinstance(usage, dict) else None
    if isinstance(details, dict):
        reply.reasoning_tokens = as_int(details.get("reasoning_tokens"))
