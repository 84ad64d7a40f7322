"""SSEParser's bound: an event that has not ended holds at most `limit` bytes."""

from __future__ import annotations

from switchyard.wire import MALFORMED, ChatStreamReader, SSEParser


def test_a_line_that_never_ends_is_malformed_once_over_the_limit() -> None:
    parser = SSEParser(limit=100)
    assert parser.feed(b"data: " + b"x" * 50) == []
    assert parser.feed(b"x" * 44) == []  # 100 bytes buffered: still within
    assert parser.feed(b"x") == [MALFORMED]
    assert parser.feed(b"\n\n") == [] and parser.flush() == []  # nothing after
    assert not parser.idle() and parser.whole_blocks(b"data: {}\n\n") is None


def test_an_event_of_many_lines_that_never_ends_is_malformed() -> None:
    parser = SSEParser(limit=100)
    events = []
    for _ in range(30):
        events += parser.feed(b"data: 0123456789\n")  # lines end, the event does not
    assert events == [MALFORMED]
    reader = ChatStreamReader()
    reader.observe(events[0])
    assert reader.malformed


def test_events_that_end_within_the_limit_are_read_whatever_their_number() -> None:
    parser = SSEParser(limit=100)
    one = b'data: {"n":"' + b"x" * 70 + b'"}\n\n'
    events = []
    for _ in range(1000):
        events += parser.feed(one[:40])
        events += parser.feed(one[40:])
    assert len(events) == 1000 and MALFORMED not in events
    assert parser.idle()


def test_an_event_arriving_a_byte_at_a_time_is_read_whole() -> None:
    """A long line in many chunks is held in pieces and read once it ends."""
    text = b'data: {"n":"' + b"y" * 20_000 + b'"}\n\n'
    parser = SSEParser(limit=30_000)
    events = []
    for i in range(len(text)):
        events += parser.feed(text[i : i + 1])
    assert [len(e.data) for e in events] == [len(text) - 8] and parser.idle()
