"""Server-sent events: an incremental parser and an encoder, shared by relays and bridges.

The parser takes bytes as they arrive (chunks split anywhere, CRLF or LF) and yields whole
events; the router relays the raw bytes it was given and only parses to observe (usage, errors)
or to translate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

_UNPARSED: Any = object()


@dataclass(slots=True)  # not frozen: a frozen __init__ costs twice as much, once per event
class SSEEvent:
    data: str
    event: str | None = None
    id: str | None = None
    # the data's JSON once `json` parsed it: the reader observing a relayed event and the
    # bridge translating it share one parse (neither changes it)
    parsed: Any = field(default=_UNPARSED, compare=False, repr=False)

    def json(self) -> Any:
        """The data as JSON (parsed once); raises ValueError on a malformed payload."""
        if self.parsed is _UNPARSED:
            self.parsed = orjson.loads(self.data)
        return self.parsed

    @property
    def done(self) -> bool:
        """OpenAI's terminal sentinel, `data: [DONE]`."""
        return self.data == "[DONE]"


# An event that is not JSON: every stream reader calls the stream malformed when it sees it.
MALFORMED = SSEEvent(data="{", event="error")
# The most one event may hold while it has not ended (the router passes its max_reply_bytes):
# an upstream that never ends a line or an event must not make a reader buffer without bound.
MAX_EVENT_BYTES = 64 * 1024 * 1024


class SSEParser:
    """Feed bytes, get events. Keeps at most one partial event buffered, of at most `limit`
    bytes: a longer one ends the stream with MALFORMED."""

    __slots__ = ("_broken", "_buf", "_data", "_event", "_held", "_id", "_limit", "_size")

    def __init__(self, limit: int = MAX_EVENT_BYTES) -> None:
        # the unfinished line, in pieces: a line arriving in many chunks is joined once
        self._buf: list[bytes] = []
        self._held = 0  # bytes in `_buf`
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._limit = limit
        self._size = 0  # characters in `_data`: the event's data so far
        self._broken = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if self._broken or not chunk:
            return []
        if b"\n" not in chunk:  # no line ends in it: held, not copied
            self._buf.append(chunk)
            self._held += len(chunk)
            return self._overflow() if self._held + self._size > self._limit else []
        buf = b"".join((*self._buf, chunk)) if self._buf else chunk
        cut = buf.rfind(b"\n")
        rest = buf[cut + 1 :]
        self._buf, self._held = ([rest], len(rest)) if rest else ([], 0)
        # whole lines decoded at once: a line break is never inside a UTF-8 sequence
        events: list[SSEEvent] = []
        data, size = self._data, self._size
        for raw in buf[:cut].decode("utf-8", errors="replace").split("\n"):
            line = raw[:-1] if raw.endswith("\r") else raw
            if line.startswith("data:"):  # the common lines, inline
                data.append(line[6:] if line.startswith("data: ") else line[5:])
                size += len(line)
                continue
            if not line:
                if data or self._event:
                    events.append(self._emit())
                    data, size = self._data, 0
                continue
            event = self._line(line)
            if event is not None:
                events.append(event)
                data, size = self._data, 0
        self._size = size
        if size + self._held > self._limit:
            return [*events, *self._overflow()]
        return events

    def _overflow(self) -> list[SSEEvent]:
        self._broken = True
        self._buf, self._held, self._data, self._size = [], 0, [], 0
        return [MALFORMED]

    def idle(self) -> bool:
        """Nothing buffered: the next chunk starts a new line of a new event."""
        return (
            not self._buf
            and not self._data
            and self._event is None
            and self._id is None
            and not self._broken
        )

    def whole_data(self, chunk: bytes) -> list[bytes] | None:
        """The data of `chunk`'s events, as bytes, when nothing is buffered and the chunk holds
        only whole unnamed one-line `data: ` events in LF framing (how a Chat stream's chunks
        come); None for any other chunk, which `feed` then takes (nothing was consumed)."""
        if self._buf or self._data or self._event is not None or self._id is not None:
            return None  # (`idle`, inline)
        if self._broken:
            return None
        if not chunk.endswith(b"\n\n") or b"\r" in chunk:
            return None
        blocks = chunk[:-2].split(b"\n\n")
        if chunk.count(b"\n") != 2 * len(blocks):  # a line break inside an event
            return None
        for block in blocks:
            if not block.startswith(b"data: "):
                return None
        return [block[6:] for block in blocks]

    def whole_blocks(self, chunk: bytes) -> list[bytes] | None:
        """`whole_data` with each event's `data: ` prefix left on (cut by the consumer, which
        saves a list of slices): the same verdicts, checked by C-level counts only."""
        if self._buf or self._data or self._event is not None or self._id is not None:
            return None  # (`idle`, inline)
        if self._broken:
            return None
        if not chunk.endswith(b"\n\n") or b"\r" in chunk or not chunk.startswith(b"data: "):
            return None
        blocks = chunk[:-2].split(b"\n\n")
        # every event after a blank line starts with `data: `, and none holds a line break
        if chunk.count(b"\n\ndata: ") != len(blocks) - 1:
            return None
        for block in blocks:
            if b"\n" in block:
                return None
        return blocks

    def flush(self) -> list[SSEEvent]:
        """End of stream: a final event without its blank line still counts."""
        if self._broken:
            return []
        events = self.feed(b"\n") if self._buf else []
        if self._data:
            events.append(self._emit())
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._emit() if self._data or self._event else None
        if line.startswith(":"):
            return None  # comment / keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            self._id = value
        return None

    def _emit(self) -> SSEEvent:
        data = self._data
        event = SSEEvent(data[0] if len(data) == 1 else "\n".join(data), self._event, self._id)
        self._data, self._event, self._id, self._size = [], None, None, 0
        return event


def encode(data: Any, event: str | None = None) -> bytes:
    """One SSE frame; `data` is JSON-encoded unless it is already a string (built as bytes:
    orjson's UTF-8 is never decoded to be encoded again)."""
    payload = data.encode() if isinstance(data, str) else orjson.dumps(data)
    if event:
        return b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"
    return b"data: " + payload + b"\n\n"


DONE = b"data: [DONE]\n\n"


def frame(event: SSEEvent) -> bytes:
    """An event written back out (multi-line data as several data lines)."""
    head = f"event: {event.event}\n" if event.event else ""
    lines = "".join(f"data: {line}\n" for line in event.data.split("\n"))
    return f"{head}{lines}\n".encode()


def complete_prefix(buf: bytes) -> int:
    """The length of ``buf``'s prefix made of whole events (up to the last blank line)."""
    lf, crlf = buf.rfind(b"\n\n"), buf.rfind(b"\n\r\n")
    return max(lf + 2 if lf >= 0 else 0, crlf + 3 if crlf >= 0 else 0)
