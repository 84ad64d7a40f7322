"""The Anthropic Messages event stream, built from a Chat upstream's chunks.

Order per the Messages streaming reference: message_start, then for each content block
content_block_start, content_block_delta* (text_delta | input_json_delta), content_block_stop,
then message_delta (stop_reason, cumulative usage) and message_stop. A failure is an
`error` event, which the anthropic SDK raises as an APIStatusError.
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect, ErrorClass
from switchyard.wire import Usage, encode, stream_error

from .base import JSON, BridgeContext
from .chat_reader import FromChatChunks, Text, ToolArgs, ToolStart

# Chat finish_reason -> Anthropic stop_reason
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


# a text block's delta event (`_delta`), to be completed with the block's index, then with the
# text's JSON string content
TEXT_DELTA = (
    b"event: content_block_delta\ndata: "
    b'{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":"%%b"}}\n\n'
)


def message_usage(usage: Usage | None) -> JSON:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    return {
        "input_tokens": usage.input_tokens - usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation_input_tokens": 0,
    }


def error_event(error_class: ErrorClass, message: str) -> bytes:
    return stream_error(Dialect.ANTHROPIC, error_class, message)


class MessagesFromChat(FromChatChunks):
    """StreamTranslator: Chat chunks in, Anthropic Messages events out."""

    def __init__(self, ctx: BridgeContext) -> None:
        super().__init__(ctx)
        self._block = -1  # index of the last content block started
        self._open: str | None = None  # "text" | "tool_use" while a block is open
        self._args_seen = False

    def _content(self, happening: Text | ToolStart | ToolArgs) -> bytes:
        out: list[bytes] = []
        if isinstance(happening, Text):
            if self._open != "text":
                out.append(self._close())
                out.append(self._begin({"type": "text", "text": ""}))
            delta = {"type": "text_delta", "text": happening.delta}
            out.append(self._delta(delta))
        elif isinstance(happening, ToolStart):
            out.append(self._close())
            block = {
                "type": "tool_use",
                "id": happening.call_id,
                "name": happening.name,
                "input": {},
            }
            out.append(self._begin(block))
        elif isinstance(happening, ToolArgs):
            self._args_seen = True
            out.append(self._delta({"type": "input_json_delta", "partial_json": happening.delta}))
        return b"".join(out)

    def _text_run(self, texts: list[bytes]) -> bytes:
        """FromChatChunks._text_run: the deltas of an open text block straight from the
        texts' bytes, in one step."""
        out = b""
        if self._open != "text":
            out = self._content(Text(texts[0].decode()))
            texts = texts[1:]
        event = TEXT_DELTA % self._block
        return out + b"".join(map(event.__mod__, texts))

    def finish(self) -> bytes:
        if self._done:
            return b""
        if self._finish is None:
            return self.fail(ErrorClass.BAD_RESPONSE, "upstream stream ended before it finished")
        out = [self._start(), self._close()]
        self._done = True
        usage = message_usage(self._usage)
        delta = {"stop_reason": STOP_REASONS.get(self._finish, "end_turn"), "stop_sequence": None}
        out.append(self._event("message_delta", {"delta": delta, "usage": usage}))
        out.append(self._event("message_stop", {}))
        return b"".join(out)

    def fail(self, error_class: ErrorClass, message: str) -> bytes:
        if self._done:
            return b""
        self._done = True
        return error_event(error_class, message)

    def _event(self, kind: str, fields: dict[str, Any]) -> bytes:
        return encode({"type": kind, **fields}, event=kind)

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        message: JSON = {
            "id": self._ctx.ids("msg_"),
            "type": "message",
            "role": "assistant",
            "model": self._ctx.inbound_model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return self._event("message_start", {"message": message})

    def _begin(self, block: JSON) -> bytes:
        self._block += 1
        self._open = block["type"]
        self._args_seen = False
        return self._event("content_block_start", {"index": self._block, "content_block": block})

    def _delta(self, delta: JSON) -> bytes:
        return self._event("content_block_delta", {"index": self._block, "delta": delta})

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        out = b""
        if self._open == "tool_use" and not self._args_seen:
            out = self._delta({"type": "input_json_delta", "partial_json": "{}"})
        self._open = None
        return out + self._event("content_block_stop", {"index": self._block})
