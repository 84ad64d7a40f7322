"""What a dialect adapter does for the probes, and the shapes they exchange.

An adapter builds the real request body of each probe for its dialect and reads the answer back
into a `Reply`; the tasks never look at wire formats themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchyard.catalog import Dialect, ReasoningControl
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
