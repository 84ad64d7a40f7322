"""Probe request bodies, built the same way for every dialect from its own small pieces.

A dialect supplies how one turn, one tool, a forced tool choice, an image turn (and, where the
dialect defines them, audio and file turns) and a structured-output request look on its wire; this base class assembles every probe from them. Stream and
reasoning fragments come from ``switchyard.wire``, so a probe asks exactly as the router asks.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

from switchyard.catalog import Dialect, ReasoningControl
from switchyard.wire import UPSTREAM_PATH, ask_parallel_tools, prepare_body
from switchyard.wire.reasoning import translate_effort

from .base import Body, ToolSpec

PDF_NAME = "probe.pdf"  # the file name a file-input probe gives its document


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def data_url(mime: str, raw: bytes) -> str:
    return f"data:{mime};base64,{b64(raw)}"


class RequestBodies:
    dialect: Dialect
    cap_field: str  # the dialect's own output-cap field
    turns_key: ClassVar[str] = "messages"
    fixed: ClassVar[Body] = {}  # fields every request of the dialect carries
    reasoning_value: ClassVar[str | int] = "low"  # what the reasoning probe asks for
    hosted_tools: ClassVar[frozenset[str]] = frozenset()  # hosted tools the dialect defines

    @property
    def path(self) -> str:
        return UPSTREAM_PATH[self.dialect]

    # -- the dialect's pieces ------------------------------------------------------------
    def turn(self, role: str, text: str) -> Body:
        raise NotImplementedError

    def image_turn(self, prompt: str, png: bytes) -> Body:
        raise NotImplementedError

    def audio_turn(self, prompt: str, wav: bytes) -> Body | None:
        """A user turn with a WAV clip; None where the dialect defines no audio input."""
        return None

    def file_turn(self, prompt: str, pdf: bytes, filename: str) -> Body | None:
        """A user turn with a PDF document; None where the dialect defines no file input."""
        return None

    def tool(self, spec: ToolSpec) -> Body:
        raise NotImplementedError

    def choice(self, forced: str | None) -> Any:
        raise NotImplementedError

    def output_format(self, name: str, schema: dict[str, Any]) -> Body:
        raise NotImplementedError

    # -- the probes ------------------------------------------------------------------------
    def _body(self, model: str, turns: list[Body], cap: int) -> Body:
        return {"model": model, self.turns_key: turns, self.cap_field: cap, **self.fixed}

    def text(self, model: str, prompt: str, cap: int) -> Body:
        return self._body(model, [self.turn("user", prompt)], cap)

    def conversation(
        self, model: str, turns: Sequence[tuple[str, str]], tools: Sequence[ToolSpec], cap: int
    ) -> Body:
        body = self._body(model, [self.turn(role, text) for role, text in turns], cap)
        if tools:
            body["tools"] = [self.tool(t) for t in tools]
        return body

    def tools(
        self, model: str, prompt: str, tools: Sequence[ToolSpec], cap: int, forced: str | None
    ) -> Body:
        body = self.text(model, prompt, cap)
        body["tools"] = [self.tool(t) for t in tools]
        body["tool_choice"] = self.choice(forced)
        return body

    def parallel_tools(self, model: str, prompt: str, tools: Sequence[ToolSpec], cap: int) -> Body:
        """The tools request, tool_choice auto, asking for parallel calls explicitly where the
        dialect has a field for it (the very rule the router reads: wire.parallel)."""
        return ask_parallel_tools(self.dialect, self.tools(model, prompt, tools, cap, forced=None))

    def structured(
        self, model: str, prompt: str, name: str, schema: dict[str, Any], cap: int
    ) -> Body:
        return {**self.text(model, prompt, cap), **self.output_format(name, schema)}

    def image(self, model: str, prompt: str, png: bytes, cap: int) -> Body:
        return self._body(model, [self.image_turn(prompt, png)], cap)

    def audio(self, model: str, prompt: str, wav: bytes, cap: int) -> Body | None:
        turn = self.audio_turn(prompt, wav)
        return None if turn is None else self._body(model, [turn], cap)

    def document(self, model: str, prompt: str, pdf: bytes, cap: int) -> Body | None:
        turn = self.file_turn(prompt, pdf, PDF_NAME)
        return None if turn is None else self._body(model, [turn], cap)

    def reasoning(self, model: str, prompt: str, cap: int, control: ReasoningControl) -> Body:
        # the very fragment the router writes for this control (wire.reasoning)
        fragment = translate_effort(self.reasoning_value, control, self.dialect)
        return {**self.text(model, prompt, cap), **fragment}

    def hosted(self, model: str, prompt: str, tool: str, cap: int) -> Body | None:
        """A request offering one provider-hosted tool; None where the dialect has no such
        tool (the row is then a skip, never a pass)."""
        if tool not in self.hosted_tools:
            return None
        return {**self.text(model, prompt, cap), "tools": [{"type": tool}]}

    def streaming(self, body: Body) -> Body:
        # what the router sends for a streamed request that wants usage (wire.prepare_body)
        return prepare_body(self.dialect, {**body, "stream": True}, body["model"], want_usage=True)
