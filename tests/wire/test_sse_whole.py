"""SSEParser.whole_data and ChatStreamReader.observe_data: the relay's fast path for chunks of
whole one-line events must see exactly what feed + observe see, and leave every other chunk
to them."""

from __future__ import annotations

from switchyard.wire import ChatStreamReader, SSEParser

USAGE = b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n'
CHUNK = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'


def _observed(chunk: bytes, fast: bool) -> tuple[bool, bool, bool, object]:
    reader, parser = ChatStreamReader(), SSEParser()
    datas = parser.whole_data(chunk) if fast else None
    if fast:
        assert datas is not None
        for data in datas:
            reader.observe_data(data)
    else:
        for event in parser.feed(chunk):
            reader.observe(event)
    return reader.malformed, reader.failed, reader.finished, reader.usage


def test_whole_one_line_events_read_as_feed_reads_them() -> None:
    for chunk in (CHUNK, CHUNK + USAGE + b"data: [DONE]\n\n", b"data: nope\n\n",
                  b'data: {"error":{"message":"x"}}\n\n', b'data: "\xff"\n\n', b"data: [1]\n\n"):  # fmt: skip
        assert _observed(chunk, fast=True) == _observed(chunk, fast=False), chunk
    assert _observed(CHUNK + USAGE, fast=True)[3] is not None  # usage read from the bytes


def test_other_chunks_are_left_to_feed_untouched() -> None:
    parser = SSEParser()
    for chunk in (b"data: a\ndata: b\n\n", b"event: error\ndata: {}\n\n", b"data: a\r\n\r\n",
                  b"data:a\n\n", b"data: a\n", b"data: a\n\n\n", b": ping\n\n"):  # fmt: skip
        assert parser.whole_data(chunk) is None, chunk
    assert parser.feed(b"data: par") == []
    assert parser.whole_data(CHUNK) is None  # something is buffered: feed must go on
    assert [e.data for e in parser.feed(b"tial\n\n")] == ["partial"]
    assert parser.whole_data(CHUNK) == [CHUNK[6:-2]]


def test_whole_blocks_agree_with_whole_data() -> None:
    chunks = (CHUNK, CHUNK + USAGE + b"data: [DONE]\n\n", b"data: a\ndata: b\n\n",
              b"event: error\ndata: {}\n\n", b"data: a\r\n\r\n", b"data:a\n\n", b"data: a\n",
              b"data: a\n\n\n", b": ping\n\n", CHUNK + b": ping\n\n", CHUNK + b"data:x\n\n",
              CHUNK + b"\n" + CHUNK, b"data: \n\n", b"\n\n")  # fmt: skip
    for chunk in chunks:
        datas = SSEParser().whole_data(chunk)
        blocks = SSEParser().whole_blocks(chunk)
        assert datas == (None if blocks is None else [b[6:] for b in blocks]), chunk


def test_observe_datas_reads_as_observe_data() -> None:
    events = [CHUNK[6:-2], USAGE[6:-2], b"nope", b'{"error":{"message":"x"}}', b'"\xff"', b"[1]",
              b'{"choices":[],"usage":null}', b"[DONE]", b'{"a":"\xff"}']  # fmt: skip
    for n in range(len(events)):
        for first in range(len(events)):
            datas = [events[(first + k) % len(events)] for k in range(n + 1)]
            one = ChatStreamReader()
            stop = -1
            for i, data in enumerate(datas):
                one.observe_data(data)
                if one.malformed:
                    stop = i
                    break
            many = ChatStreamReader()
            assert many.observe_datas([b"data: " + d for d in datas]) == stop
            assert (one.malformed, one.failed, one.finished, one.usage) == (
                many.malformed, many.failed, many.finished, many.usage), datas  # fmt: skip
