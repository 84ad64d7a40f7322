"""Native stream readers: observe a dialect's event stream without changing it.

Each reader tracks what the router needs from a stream it relays: the usage (``wire.usage``
meaning), a clean end, an in-band error event, and whether an event broke the dialect's
grammar (unparseable or wrong-typed JSON: ``malformed``, booked as BadResponse).
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from switchyard.catalog import Dialect

from .sse import SSEEvent
from .text_shape import MAX_LEARNS, TextShape
from .usage import (
    AnthropicUsageMerger,
    Usage,
    google_usage,
    openai_chat_usage,
    openai_responses_usage,
)


class StreamReader(Protocol):
    finished: bool  # the dialect's terminal event arrived
    failed: bool  # an in-band error event arrived (it was relayed as is)
    malformed: bool  # an event broke the grammar; nothing after it is trusted
    next_sequence: int  # Responses numbers its events; an added error event continues it

    @property
    def usage(self) -> Usage | None: ...

    def observe(self, event: SSEEvent) -> None: ...


def _parsed(event: SSEEvent) -> dict[str, Any] | None:
    """The event's data as a JSON object (one parse, shared with a bridge), else None."""
    try:
        value = event.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _object(data: str | bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class _LatestUsageReader:
    """The state of a reader whose usage is the last one an event carried (Chat, Responses,
    Google); Messages merges usage over events instead."""

    __slots__ = ("failed", "finished", "malformed", "usage")
    next_sequence = 0

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.finished = self.failed = self.malformed = False


class ChatStreamReader(_LatestUsageReader):
    """Also learns the shape of the stream's plain text chunks (`TextShape`), so the many
    chunks that differ from the last such one only in their text are judged without a parse
    (`same_shape`): such a chunk is a JSON object with the same fields, so it is neither
    malformed, nor an error, nor usage."""

    __slots__ = ("_learns", "_shape")

    def __init__(self) -> None:
        super().__init__()
        self._shape: TextShape | None = None
        self._learns = 0  # shapes taken: a stream whose chunks never repeat one stops trying

    def observe(self, event: SSEEvent) -> None:
        if event.data == "[DONE]":
            self.finished = True
            return
        self._chunk(_parsed(event), event.event == "error")

    def observe_data(self, data: bytes) -> None:
        """An unnamed event given as its data's raw bytes (SSEParser.whole_data): the same
        verdicts as `observe`, without decoding the bytes or building an event first."""
        if data == b"[DONE]":
            self.finished = True
            return
        chunk = _object(data)
        if chunk is None:  # as `observe` would: bytes that are not UTF-8 decoded with U+FFFD
            chunk = _object(data.decode("utf-8", errors="replace"))
        self._chunk(chunk, False)

    def same_shape(self, chunk: bytes) -> bool:
        """Whether `chunk` is nothing but whole `data: ` events (LF framed) of the learned
        shape, one or many: then observing them would change nothing."""
        shape = self._shape
        return shape is not None and shape.texts(chunk) is not None

    def observe_datas(self, blocks: list[bytes]) -> int:
        """`observe_data` of each event of `blocks` (SSEParser.whole_blocks: one-line
        `data: ` events) in turn, in one loop; stops at the first malformed event and returns
        its index, or -1. A run of events of the learned shape is passed over in one step
        (`TextShape.run`: tried once per shape, so a chunk costs linear time); a plain JSON
        object without `error` or `usage` is only parsed (and teaches the shape); every
        other event takes `observe_data` itself."""
        loads, shape = orjson.loads, self._shape
        i, tried = 0, None  # the shape a run was looked for with
        while i < len(blocks):
            block = blocks[i]
            if shape is not None:
                if shape is not tried and block.startswith(shape.head):
                    tried = shape
                    run = shape.run(blocks, i)
                    if run is not None:
                        i = run[0]
                        continue
                if shape.text(block) is not None:
                    i += 1
                    continue
            i += 1
            data = block[6:]
            if data == b"[DONE]":  # the end, not JSON: a failed parse costs an exception
                self.finished = True
                continue
            try:
                chunk = loads(data)
            except ValueError:
                chunk = None
            if type(chunk) is dict and chunk.get("error") is None and chunk.get("usage") is None:
                if self._learns < MAX_LEARNS:
                    self._learn(block)
                    shape = self._shape
                continue
            self.observe_data(data)
            if self.malformed:
                return i - 1
        return -1

    def _learn(self, block: bytes) -> None:
        """Take the shape of `block`, one whole line that parsed as a plain chunk (an object
        without `error` or `usage`), when it has one (`TextShape.of`)."""
        shape = TextShape.of(block)
        if shape is not None:
            self._learns += 1
            self._shape = shape

    def _chunk(self, chunk: dict[str, Any] | None, named_error: bool) -> None:
        if chunk is None:
            self.malformed = True
        elif chunk.get("error") is not None or named_error:
            self.failed = True
        elif chunk.get("usage") is not None:
            self.usage = openai_chat_usage(chunk["usage"])


RESPONSES_TERMINAL = frozenset({"response.completed", "response.incomplete"})
RESPONSES_FAILED = frozenset({"error", "response.failed"})


class ResponsesStreamReader(_LatestUsageReader):
    __slots__ = ("next_sequence",)

    def __init__(self) -> None:
        super().__init__()
        self.next_sequence = 0  # an error event we add continues the upstream's numbering

    def observe(self, event: SSEEvent) -> None:
        data = _parsed(event)
        kind = data.get("type") if data is not None else None
        if data is None or not isinstance(kind, str):
            self.malformed = True
            return
        seq = data.get("sequence_number")
        if isinstance(seq, int) and not isinstance(seq, bool) and seq >= self.next_sequence:
            self.next_sequence = seq + 1
        if kind in RESPONSES_TERMINAL:
            response = data.get("response")
            if not isinstance(response, dict):
                self.malformed = True
                return
            self.finished = True
            self.usage = openai_responses_usage(response.get("usage"))
        elif kind in RESPONSES_FAILED:
            self.failed = True


class MessagesStreamReader:
    __slots__ = ("_usage", "failed", "finished", "malformed")
    next_sequence = 0

    def __init__(self) -> None:
        self._usage = AnthropicUsageMerger()
        self.finished = self.failed = self.malformed = False

    @property
    def usage(self) -> Usage | None:
        return self._usage.usage

    def observe(self, event: SSEEvent) -> None:
        data = _parsed(event)
        if data is None or not isinstance(data.get("type"), str):
            self.malformed = True
            return
        kind = event.event or data["type"]
        if kind == "message_start":
            message = data.get("message")
            if not isinstance(message, dict):
                self.malformed = True
                return
            self._usage.add(message.get("usage"))
        elif kind == "message_delta":
            self._usage.add(data.get("usage"))
        elif kind == "message_stop":
            self.finished = True
        elif kind == "error":
            self.failed = True


class GoogleStreamReader(_LatestUsageReader):
    """Gemini ``streamGenerateContent?alt=sse``: every event is a whole GenerateContentResponse
    (no event names, no sentinel); the one whose candidate has a ``finishReason`` (or whose
    prompt was blocked) is the last, and ``usageMetadata`` is cumulative. An ``error`` object
    in an event is an in-band failure."""

    __slots__ = ()

    def observe(self, event: SSEEvent) -> None:
        data = _parsed(event)
        if data is None:
            self.malformed = True
            return
        if data.get("error") is not None:
            self.failed = True
            return
        candidates = data.get("candidates", [])
        if not isinstance(candidates, list) or not all(isinstance(c, dict) for c in candidates):
            self.malformed = True
            return
        if data.get("usageMetadata") is not None:
            self.usage = google_usage(data["usageMetadata"])
        feedback = data.get("promptFeedback")
        blocked = isinstance(feedback, dict) and feedback.get("blockReason") is not None
        if blocked or any(c.get("finishReason") for c in candidates):
            self.finished = True


READERS: dict[Dialect, type[StreamReader]] = {
    Dialect.OPENAI_CHAT: ChatStreamReader,
    Dialect.OPENAI_RESPONSES: ResponsesStreamReader,
    Dialect.ANTHROPIC: MessagesStreamReader,
    Dialect.GOOGLE: GoogleStreamReader,
}


def stream_reader(dialect: Dialect) -> StreamReader:
    return READERS[dialect]()
