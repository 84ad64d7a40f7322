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
