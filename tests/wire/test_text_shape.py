"""TextShape: the bytes around a Chat chunk's one plain `content` string, learned once and
then recognised without a parse, for one event or a whole run of them in one chunk."""

from __future__ import annotations

import random

import orjson

from switchyard.wire import SSEParser, TextShape

HEAD = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"'
TAIL = b'"},"finish_reason":null}],"usage":null}'


def _event(text: bytes) -> bytes:
    return HEAD + text + TAIL + b"\n\n"


def test_a_shape_is_taken_only_from_one_plain_content_string() -> None:
    shape = TextShape.of(HEAD + b"hello" + TAIL)
    assert shape is not None and (shape.head, shape.tail) == (HEAD, TAIL)
    for line in [
        HEAD + b'say \\"hi\\"' + TAIL,  # an escape: the string is not its bytes
        HEAD + b"x" + TAIL.replace(b"null}", b'null,"content":"y"}'),  # two content keys
        b'data: {"choices":[{"delta":{"role":"assistant"}}]}',  # no content string
        HEAD + b"a\tb" + TAIL,  # a raw control character
        HEAD + b"one" + TAIL + b"\n" + HEAD + b"two" + TAIL,  # more than one line
    ]:
        assert TextShape.of(line) is None, line


def test_one_event_and_runs_of_events_are_recognised() -> None:
    shape = TextShape(HEAD, TAIL)
    assert shape.text(HEAD + b"fox" + TAIL) == b"fox"
    assert shape.text(HEAD + b"" + TAIL) == b""
    assert shape.text(HEAD + b'f"x' + TAIL) is None
    assert shape.texts(_event(b"a")) == [b"a"]
    assert shape.texts(_event(b"a") + _event(b"") + _event(b"\xc3\xa9")) == [b"a", b"", b"\xc3\xa9"]
    for chunk in [
        b"",
        _event(b"a")[:-1],  # the blank line cut
        _event(b"a") + b"data: [DONE]\n\n",
        b": comment\n\n" + _event(b"a"),
        _event(b"a").replace(b"\n\n", b"\r\n\r\n"),
        _event(b"a") + HEAD,
        _event(b'a","x":"b'),  # another field smuggled in through the text
    ]:
        assert shape.texts(chunk) is None, chunk


def _texts_by_parsing(shape: TextShape, chunk: bytes) -> list[bytes] | None:
    """The definition, the slow way: SSE events of one `data:` line each, every one the head,
    a plain JSON string's content and the tail, and nothing else in the chunk."""
    parser = SSEParser()
    events = parser.feed(chunk)
    if parser.flush() or not chunk.endswith(b"\n\n") or b"\r" in chunk:
        return None
    if b"".join(b"data: " + e.data.encode() + b"\n\n" for e in events) != chunk:
        return None  # comments, event names, several data lines: not of the shape
    texts = []
    for event in events:
        line = b"data: " + event.data.encode()
        if not (line.startswith(shape.head) and line.endswith(shape.tail)):
            return None
        raw = line[len(shape.head) : len(line) - len(shape.tail)]
        if len(line) < len(shape.head) + len(shape.tail):
            return None
        try:
            value = orjson.loads(b'"' + raw + b'"')
        except orjson.JSONDecodeError:
            return None
        if value.encode() != raw:  # escapes: another string than its bytes
            return None
        texts.append(raw)
    return texts or None


def test_runs_are_recognised_exactly_as_parsing_them_would() -> None:
    shape = TextShape(HEAD, TAIL)
    pieces = [b"The ", b"fox", b"", b"\xc3\xa9t\xc3\xa9", b'"', b"\\n", b"\x01", b"}", TAIL,
              TAIL + b"\n\n" + HEAD, b"\n\n", HEAD, b"data: "]  # fmt: skip
    rng = random.Random(5)
    seen = 0
    for _ in range(20000):
        events = []
        for _ in range(rng.randint(1, 6)):
            text = b"".join(rng.choice(pieces[:4]) for _ in range(rng.randint(0, 3)))
            if rng.random() < 0.1:
                text += rng.choice(pieces[4:])
            events.append(_event(text))
        chunk = b"".join(events)
        if rng.random() < 0.1:
            at = rng.randint(0, len(chunk))
            while 0 < at < len(chunk) and 0x80 <= chunk[at] < 0xC0:
                at -= 1  # (not inside a character: the parser reads the chunk as text)
            chunk = chunk[:at] + rng.choice(pieces) + chunk[at:]
        expected = _texts_by_parsing(shape, chunk)
        assert shape.texts(chunk) == expected, chunk
        seen += expected is not None
    assert 5000 < seen < 19000  # both verdicts are well exercised
