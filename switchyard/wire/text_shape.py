"""The learned shape of a Chat stream's plain text chunks, so most chunks need no parse.

Most chunks of a Chat Completions stream carry only text and differ from each other only in
it: `data: {"id":...,"choices":[{"index":0,"delta":{"content":"TEXT"},...}]}`. A `TextShape`
is the bytes around that one string, taken from a chunk that was parsed (`TextShape.of`).
Another event with the same bytes around another string without escapes, quotes or control
characters (plain) parses to the same object with that text in its place, so the native relay
and the bridges can take it without a parse: one event (`text`), or a whole run of events in
one chunk (`texts`), checked by C-level bytes operations whatever the run's length.
"""

from __future__ import annotations

import re
from operator import itemgetter

# A JSON string's content without escapes, quotes or control characters.
PLAIN = re.compile(rb'[^"\\\x00-\x1f]*')
CONTENT = b'"content":"'
# Shapes a reader takes per stream at most: chunks that differ in more than their text (a
# per-chunk random field, say) never match one, and then learning would only cost.
MAX_LEARNS = 8


class TextShape:
    """`head` (from `data: ` up to the text) and `tail` (from the text's closing quote to the
    end of the line) of a one-line event."""

    __slots__ = ("_after", "_cut", "_framed", "head", "tail")

    def __init__(self, head: bytes, tail: bytes) -> None:
        self.head, self.tail = head, tail
        self._framed = tail + b"\n\n"  # the tail of an event with its blank line (LF)
        self._after = self._framed + head  # between two texts of a run
        self._cut = itemgetter(slice(len(head), -len(tail)))  # a block's text (tail: 1+ bytes)

    @classmethod
    def of(cls, block: bytes) -> TextShape | None:
        """The shape of `block`, one whole `data: ` line, around its one `content` string,
        when that string is plain. No backslash anywhere and one `"content"` key: no escaped
        or duplicate key can stand for the one the text is read from, and a raw quote in
        valid JSON always delimits a string. (The caller has parsed the line: it is valid.)"""
        if b"\\" in block or b"\n" in block or block.count(b'"content"') != 1:
            return None
        start = block.find(CONTENT) + len(CONTENT)
        end = block.find(b'"', start)
        if start < len(CONTENT) or end < 0 or PLAIN.fullmatch(block, start, end) is None:
            return None
        return cls(block[:start], block[end:])

    def text(self, block: bytes) -> bytes | None:
        """The raw text of `block` (one `data: ` line, without its blank line) when it is an
        event of this shape; None for any other."""
        head, tail = self.head, self.tail
        end = len(block) - len(tail)
        if (
            block.startswith(head)
            and block.endswith(tail)
            and end >= len(head)
            and PLAIN.fullmatch(block, len(head), end) is not None
        ):
            return block[len(head) : end]
        return None

    def texts(self, chunk: bytes) -> list[bytes] | None:
        """The raw texts, in order, when `chunk` is nothing but whole LF-framed events of this
        shape (one or many); None for any other chunk. The candidate texts are cut out of
        the chunk's blocks and then proved by rebuilding the chunk from them: equal bytes,
        and plain texts, are the whole proof, however the cutting went."""
        head, framed = self.head, self._framed
        if not (chunk.startswith(head) and chunk.endswith(framed)):
            return None
        end = len(chunk) - len(framed)
        if PLAIN.fullmatch(chunk, len(head), end) is not None:
            return [chunk[len(head) : end]]  # one event (a plain text holds no other)
        blocks = chunk.split(b"\n\n")
        blocks.pop()  # (empty: the chunk ends with a blank line)
        texts: list[bytes] = list(map(self._cut, blocks))
        if b"".join((head, self._after.join(texts), framed)) != chunk:
            return None
        if PLAIN.fullmatch(b"".join(texts)) is None:
            return None
        return texts

    def run(self, blocks: list[bytes], start: int) -> tuple[int, list[bytes]] | None:
        """The run of this shape's events in `blocks` (SSEParser.whole_blocks: one-line
        `data: ` events without their blank lines) from `start` to the last block that ends
        as they do: its end and its raw texts, by `texts` of the run in one step. None when
        those blocks are not all of this shape."""
        tail, end = self.tail, len(blocks)
        while end > start and not blocks[end - 1].endswith(tail):
            end -= 1
        if end == start:
            return None
        texts = self.texts(b"\n\n".join([*blocks[start:end], b""]))
        return None if texts is None else (end, texts)
