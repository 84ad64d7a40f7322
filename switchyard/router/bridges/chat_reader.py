"""Chat Completions stream chunks -> a small vocabulary of happenings, shared by the bridges
that serve other skins from a Chat upstream (responsesToChat, messagesToChat)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchyard.catalog import ErrorClass
from switchyard.wire import MAX_LEARNS, SSEEvent, TextShape, Usage, openai_chat_usage

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


def utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


class FromChatChunks:
    """What the translators serving another dialect from a Chat upstream share: Chat chunks
    read into happenings, the finish reason and usage kept, a failure ending the stream.
    Subclasses write the content (``_content``), the opening (``_start``) and the failure.

    Most chunks of a stream carry only text, and differ from each other only in it: the
    translator learns the bytes around the text of such a chunk (``_learn``, a
    ``wire.TextShape``), and the relay hands it the texts of every run of whole events of
    that shape (``feed_texts``) and every such event of another chunk (``feed_block``),
    without a parse. A run of texts is written in one step (``_text_run``): valid UTF-8 and
    plain, a raw text is its own JSON string content."""

    def __init__(self, ctx: BridgeContext) -> None:
        self._ctx = ctx
        self._reader = ChatChunkReader()
        self._started = False
        self._done = False
        self._finish: str | None = None
        self._usage: Usage | None = None
        self.usage: Usage | None = None
        self.response_id: str | None = None
        self.shape: TextShape | None = None  # of the text chunks (the relay finds runs)
        self._learns = 0  # shapes taken: a stream whose chunks never repeat one stops trying

    def feed_texts(self, texts: list[bytes]) -> bytes | None:
        """`feed` of a run of events of the learned shape (`shape.texts` of a chunk, or
        `shape.run` of its blocks), given their raw texts: what reading them would find (one
        Text each, none for an empty string) is all a Chat stream reader would find too
        (plain chunks: no error, no usage). None when a text is not UTF-8: each such event
        takes `feed_block`, which decodes it as the parser does."""
        raw = b'"'.join(texts)  # (an ASCII delimiter: valid only if every text is valid)
        if not (raw.isascii() or utf8(raw)):
            return None
        if self._done:
            return b""
        if b"" in texts:
            texts = [text for text in texts if text]
        return self._texts(texts) if texts else b""

    def feed_block(self, block: bytes) -> bytes | None:
        """`feed_texts` of one event of SSEParser.whole_blocks (without its blank line), if
        it is of the learned shape; None for any other."""
        shape = self.shape
        raw = None if shape is None else shape.text(block)
        if raw is None:
            return None
        if self._done or not raw:
            return b""
        if raw.isascii() or utf8(raw):
            return self._texts([raw])
        self._reader.note_text()  # as the parser reads it: with U+FFFD for the bad bytes
        return self._start() + self._content(Text(raw.decode("utf-8", errors="replace")))

    def _texts(self, texts: list[bytes]) -> bytes:
        self._reader.note_text()
        start = b"" if self._started else self._start()
        return start + self._text_run(texts)

    def _text_run(self, texts: list[bytes]) -> bytes:
        """The events of `texts` (not empty; each plain, valid UTF-8 and not empty), one Text
        after another: subclasses write a run into an open text part in one step."""
        return b"".join([self._content(Text(text.decode())) for text in texts])

    def _learn(self, event: SSEEvent, text: str) -> None:
        """Take the shape of a one-line event whose chunk read as one Text, `text`, and is
        plain (no error, no usage), when its one `content` string is `text` itself
        (`TextShape.of`): another plain string in its place is another Text and nothing
        else."""
        if event.event is not None:
            return
        line = b"data: " + event.data.encode()
        shape = TextShape.of(line)
        if shape is None:
            return
        chunk = event.json()
        if (
            shape.text(line) == text.encode()
            and isinstance(chunk, dict)
            and chunk.get("error") is None
            and chunk.get("usage") is None
        ):
            self._learns += 1
            self.shape = shape

    def feed(self, event: SSEEvent) -> bytes:
        if self._done:
            return b""
        return self._feed(self._reader.read(event))

    def feed_line(self, event: SSEEvent) -> bytes:
        """`feed` of an event read from one `data: ` line, learning its shape when it holds
        only text (what `feed_texts` and `feed_block` recognise afterwards)."""
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
