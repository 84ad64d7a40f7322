"""Chat Completions stream chunks -> a small vocabulary of happenings, shared by the bridges
that serve other skins from a Chat upstream (responsesToChat, messagesToChat)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from switchyard.catalog import ErrorClass
from switchyard.wire import SSEEvent, Usage, openai_chat_usage

from .base import BridgeContext


@dataclass(frozen=True)
class Text:
    delta: str


@dataclass(frozen=True)
class ToolStart:
    index: int
    call_id: str
    name: str


@dataclass(frozen=True)
class ToolArgs:
    index: int
    delta: str


@dataclass(frozen=True)
class Finish:
    reason: str


@dataclass(frozen=True)
class Failed:
    error_class: ErrorClass
    message: str


Happening = Text | ToolStart | ToolArgs | Finish | Usage | Failed


class ChatChunkReader:
    """Keeps tool-call state across chunks; tool calls must arrive one after another (as every
    known Chat server streams them). A delta for an earlier, already superseded call is reported
    as Failed rather than silently mis-assigned."""

    def __init__(self) -> None:
        self.model: str | None = None
        self.chunk_id: str | None = None
        self._tools: list[int] = []  # chat tool indexes in order of appearance
        self._text_after_tool = False  # text came after the current tool call began

    def note_text(self) -> None:
        """Text read without this reader (a chunk of a learned shape) counts as text too."""
        self._text_after_tool = bool(self._tools)

    def read(self, event: SSEEvent) -> list[Happening]:
        if event.done or not event.data.strip():
            return []
        try:
            chunk = event.json()
        except ValueError:
            return [Failed(ErrorClass.BAD_RESPONSE, "upstream sent a malformed stream chunk")]
        if not isinstance(chunk, dict):
            return [Failed(ErrorClass.BAD_RESPONSE, "upstream sent a malformed stream chunk")]
        if chunk.get("error") is not None:
            return [Failed(ErrorClass.UPSTREAM_ERROR, "upstream reported an error mid-stream")]
        self.chunk_id = self.chunk_id or _str(chunk.get("id"))
        self.model = self.model or _str(chunk.get("model"))
        out: list[Happening] = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            out.extend(self._delta(choice.get("delta") or {}))
            if choice.get("finish_reason"):
                out.append(Finish(str(choice["finish_reason"])))
        usage = openai_chat_usage(chunk.get("usage"))
        if usage is not None:
            out.append(usage)
        return out

    def _delta(self, delta: dict[str, Any]) -> list[Happening]:
        out: list[Happening] = []
        if delta.get("content"):
            out.append(Text(str(delta["content"])))
            self.note_text()
        for call in delta.get("tool_calls") or []:
            index = int(call.get("index", 0))
            fn = call.get("function") or {}
            if index not in self._tools:
                self._tools.append(index)
                self._text_after_tool = False
                call_id = _str(call.get("id")) or f"call_{index}"
                out.append(ToolStart(index, call_id, str(fn.get("name") or "")))
            elif index != self._tools[-1]:
                return [Failed(ErrorClass.BAD_RESPONSE, "upstream interleaved tool-call deltas")]
            elif self._text_after_tool and fn.get("arguments"):
                # the call's item or block was closed by the text: nothing to add arguments to
                return [
                    Failed(ErrorClass.BAD_RESPONSE, "upstream continued a tool call after text")
                ]
            if fn.get("arguments"):
                out.append(ToolArgs(index, str(fn["arguments"])))
        return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# A JSON string's content without escapes, quotes or control characters (see _learn).
PLAIN = re.compile(rb'[^"\\\x00-\x1f]*')
CONTENT = b'"content":"'
MAX_LEARNS = 8  # shapes taken per stream at most (as wire.streams.ChatStreamReader)


class FromChatChunks:
    """What the translators serving another dialect from a Chat upstream share: Chat chunks
    read into happenings, the finish reason and usage kept, a failure ending the stream.
    Subclasses write the content (``_content``), the opening (``_start``) and the failure.

    Most chunks of a stream carry only text, and differ from each other only in it: the
    translator learns the bytes around the text of such a chunk (``_learn``), and the relay
    hands it every chunk that is one whole event with those bytes around another plain string
    (``same_text``, ``feed_chunk``) without parsing it."""

    def __init__(self, ctx: BridgeContext) -> None:
        self._ctx = ctx
        self._reader = ChatChunkReader()
        self._started = False
        self._done = False
        self._finish: str | None = None
        self._usage: Usage | None = None
        self.usage: Usage | None = None
        self.response_id: str | None = None
        self._head = self._tail = self._block_tail = b""  # (the tail without its blank line)
        self._learns = 0  # shapes taken: a stream whose chunks never repeat one stops trying

    def same_text(self, chunk: bytes, framed: bool = True) -> str | None:
        """The text of `chunk` when it is one whole `data: ` event (LF framed; a block of
        SSEParser.whole_blocks when not `framed`) of the learned shape: what reading it would
        find (one Text, none for an empty string), and all a Chat stream reader would find (a
        plain chunk: no error, no usage)."""
        end = self._text_end(chunk, framed)
        return None if end < 0 else chunk[len(self._head) : end].decode("utf-8", errors="replace")

    def _text_end(self, chunk: bytes, framed: bool) -> int:
        """Where the text of a chunk of the learned shape ends (`same_text`); -1 for another."""
        head, tail = self._head, self._tail if framed else self._block_tail
        end = len(chunk) - len(tail)
        if (
            head
            and chunk.startswith(head)
            and chunk.endswith(tail)
            and end >= len(head)
            and PLAIN.fullmatch(chunk, len(head), end) is not None
        ):
            return end
        return -1

    def feed_chunk(self, chunk: bytes, framed: bool = True) -> bytes | None:
        """`feed` of a chunk of the learned shape (`same_text`, one step on the relay's
        per-chunk path); None for any other chunk, which then takes `feed`."""
        text = self.same_text(chunk, framed)
        if text is None:
            return None
        if self._done or not text:
            return b""
        self._reader.note_text()
        return self._text(text) if self._started else self._start() + self._text(text)

    def _text(self, text: str) -> bytes:
        return self._content(Text(text))

    def _learn(self, event: SSEEvent, text: str) -> None:
        """Take the shape of a one-line event whose chunk read as one Text, `text`, and is
        plain (no error, no usage): the bytes around its one `content` string, when that
        string is `text` itself, without escapes. Another plain string in its place is another
        Text and nothing else. (No backslash anywhere and one "content" key: no escaped or
        duplicate key can stand for the one the text was read from.)"""
        if event.event is not None:
            return
        raw = event.data.encode()
        if b"\n" in raw or b"\\" in raw or raw.count(b'"content"') != 1:
            return
        start = raw.find(CONTENT) + len(CONTENT)
        end = raw.find(b'"', start)
        if start < len(CONTENT) or end < 0 or PLAIN.fullmatch(raw, start, end) is None:
            return
        chunk = event.json()
        if (
            raw[start:end].decode() == text
            and isinstance(chunk, dict)
            and chunk.get("error") is None
            and chunk.get("usage") is None
        ):
            self._learns += 1
            self._head, self._block_tail = b"data: " + raw[:start], raw[end:]
            self._tail = self._block_tail + b"\n\n"

    def feed(self, event: SSEEvent) -> bytes:
        if self._done:
            return b""
        return self._feed(self._reader.read(event))

    def feed_line(self, event: SSEEvent) -> bytes:
        """`feed` of an event read from one `data: ` line, learning its shape when it holds
        only text (what `same_text` recognises afterwards)."""
        if self._done:
            return b""
        happenings = self._reader.read(event)
        if len(happenings) == 1 and type(happenings[0]) is Text and self._learns < MAX_LEARNS:
            self._learn(event, happenings[0].delta)
        return self._feed(happenings)

    def _feed(self, happenings: list[Happening]) -> bytes:
        out: list[bytes] = []
        for happening in happenings:
            out.append(self._start())
            if isinstance(happening, Finish):
                self._finish = happening.reason
            elif isinstance(happening, Usage):
                self._usage = self.usage = happening
            elif isinstance(happening, Failed):
                out.append(self.fail(happening.error_class, happening.message))
                break
            else:
                out.append(self._content(happening))
        return b"".join(out)

    def _start(self) -> bytes:
        raise NotImplementedError

    def _content(self, happening: Text | ToolStart | ToolArgs) -> bytes:
        raise NotImplementedError

    def fail(self, error_class: ErrorClass, message: str) -> bytes:
        raise NotImplementedError
