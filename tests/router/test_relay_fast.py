"""The native Chat relay's fast paths (chunks of whole one-line events observed from their
bytes; chunks shaped like the last plain one passed over unparsed) must relay the same bytes
and reach the same verdicts as parsing every event, however a stream is cut into chunks."""

from __future__ import annotations

import random

import pytest

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass
from switchyard.router.bridges import BridgeContext, counting_ids, get_bridge
from switchyard.router.bridges.chat_reader import FromChatChunks
from switchyard.router.dialects import ADAPTERS
from switchyard.router.relay import Leg, _Relay

HEAD = b'{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":['


def _event(choice: bytes, tail: bytes = b',"usage":null}') -> bytes:
    return b"data: " + HEAD + choice + b"]" + tail + b"\n\n"


def _text(text: bytes) -> bytes:
    return _event(b'{"index":0,"delta":{"content":"' + text + b'"},"finish_reason":null}')


PLAIN = [_text(b"The fox "), _text(b"and the dog "), _text(b""), _text(b"\xc3\xa9t\xc3\xa9 ")]
ODD = [
    _text(b'say \\"hi\\"'),  # escapes: parsed, never the learned shape
    _text(b"tab\there"),  # a raw control character: malformed
    _text(b"\xff\xfe"),  # not UTF-8: read as the replacement character, not malformed
    _text(b'"'),  # a stray quote: malformed
    _text(b"a\\"),  # a dangling escape: malformed
    _event(b"", b',"usage":{"prompt_tokens":3,"completion_tokens":4}}'),
    b'data: {"error":{"message":"boom"}}\n\n',
    b"data: not json\n\n",
    b"data: [1]\n\n",
    b": keep-alive\n\n",
    b"event: error\ndata: {}\n\n",
    b'data: {"choices":\ndata: []}\n\n',  # one event over two lines: valid JSON once joined
    _text(b"crlf").replace(b"\n\n", b"\r\n\r\n"),
    _event(b'{"index":0,"delta":{"role":"assistant","content":""}}'),
    _event(b'{"index":0,"delta":{"content":"x","content":"y"}}'),  # two contents: no shape
    _event(b'{"index":0,"delta":{"content":"5","content":5}}'),
    _event(b'{"index":0,"delta":{"content":"5","\\u0063ontent":5}}'),
    _event(b'{"index":1,"delta":{"content":"other choice"}}'),
    _event(b'{"index":0,"delta":{"content":"x"}}', b',"usage":"bad"}'),
    _event(b'{"index":0,"delta":{"content":"x"},"finish_reason":"length"}'),
    _text(b"\xc3"),  # one character cut in two: each half is read as U+FFFD,
    _text(b"\xa9 "),  # not as the character their bytes make side by side
]
END = [_event(b'{"index":0,"delta":{},"finish_reason":"stop"}'), b"data: [DONE]\n\n"]


def _leg(inbound: Dialect) -> Leg:
    chat = ADAPTERS[Dialect.OPENAI_CHAT]
    if inbound is Dialect.OPENAI_CHAT:
        return Leg(chat, inbound, None, None, {})
    direction = {Dialect.OPENAI_RESPONSES: BridgeDirection.RESPONSES_TO_CHAT,
                 Dialect.ANTHROPIC: BridgeDirection.MESSAGES_TO_CHAT}[inbound]  # fmt: skip
    ctx = BridgeContext("up-m", "g", None, ids=counting_ids(), clock=lambda: 1)
    return Leg(chat, inbound, get_bridge(direction), ctx, {})


def _relay(raw: bytes, cuts: list[int], fast: bool,
           inbound: Dialect = Dialect.OPENAI_CHAT) -> tuple[bytes, tuple[object, ...]]:  # fmt: skip
    r = _Relay(_leg(inbound))
    if not fast:
        r.chat = r.text = None
    out = b""
    start = 0
    for cut in [*cuts, len(raw)]:
        out += r.feed(raw[start:cut])
        start = cut
        if r.reader.malformed:
            break
    else:
        out += r.flush()
    if r.reader.malformed:
        out += r.fail(inbound, ErrorClass.BAD_RESPONSE)
    elif r.translator is not None:
        out += r.translator.finish()
    reader = r.reader
    usage = r.translator.usage if r.translator is not None else reader.usage
    return out, (reader.malformed, reader.failed, reader.finished, usage)


@pytest.mark.parametrize(
    "inbound", [Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC]
)
def test_fast_paths_relay_and_judge_as_the_parser_does(inbound: Dialect) -> None:
    rng = random.Random(17)
    for _ in range(3000):
        events = [rng.choice(PLAIN) for _ in range(rng.randint(0, 12))]
        for _ in range(rng.randint(0, 2)):
            events.insert(rng.randint(0, len(events)), rng.choice(ODD))
        raw = b"".join(events + END)
        if rng.random() < 0.5:  # chunks of whole events, as most upstreams flush them
            bounds, at = [], 0
            for e in events + END:
                at += len(e)
                bounds.append(at)
            cuts = sorted(rng.sample(bounds[:-1], rng.randint(0, len(bounds) - 1)))
        else:
            cuts = sorted(rng.sample(range(1, len(raw)), min(len(raw) - 1, rng.randint(0, 8))))
        fast, slow = _relay(raw, cuts, True, inbound), _relay(raw, cuts, False, inbound)
        assert fast == slow, (raw, cuts)


def test_a_plain_stream_is_passed_over_after_its_first_content_chunk() -> None:
    r = _Relay(Leg(ADAPTERS[Dialect.OPENAI_CHAT], Dialect.OPENAI_CHAT, None, None, {}))
    assert r.chat is not None
    assert r.feed(PLAIN[0]) == PLAIN[0]
    assert r.chat.same_shape(PLAIN[1]) and r.chat.same_shape(PLAIN[3])
    for odd in ODD:  # (bytes that are not UTF-8 are read as U+FFFD: the same verdict)
        assert r.chat.same_shape(odd) is (odd == ODD[2] or odd in ODD[-2:]), odd
    assert r.chat.same_shape(PLAIN[0] + PLAIN[1] + PLAIN[2])  # a run of them, in one step
    assert not r.chat.same_shape(PLAIN[0] + END[0])
    assert not r.chat.same_shape(PLAIN[0][:-1])


def _fed(text: FromChatChunks, chunk: bytes) -> bytes | None:
    """What the relay's one step for a chunk of text events writes; None: not such a chunk."""
    assert text.shape is not None
    texts = text.shape.texts(chunk)
    return None if texts is None else text.feed_texts(texts)


def test_a_bridged_plain_stream_is_read_without_a_parse_after_its_first_text_chunk() -> None:
    r = _Relay(_leg(Dialect.OPENAI_RESPONSES))
    text = r.text
    assert text is not None
    r.feed(PLAIN[0])
    assert text.shape is not None
    assert text.shape.texts(PLAIN[1] + PLAIN[3]) == [b"and the dog ", b"\xc3\xa9t\xc3\xa9 "]
    out = _fed(text, PLAIN[1] + PLAIN[2] + PLAIN[3])
    assert out is not None and out.count(b"event: response.output_text.delta") == 2
    assert b'"delta":"\xc3\xa9t\xc3\xa9 "' in out
    assert _fed(text, ODD[2]) is None  # not UTF-8: each event's text is decoded alone
    out = text.feed_block(ODD[2][:-2])
    assert out is not None and "\ufffd\ufffd".encode() in out  # as the parser decodes it
    for odd in ODD:
        if odd == ODD[2] or odd in ODD[-2:]:  # text events, but not all UTF-8
            continue
        assert _fed(text, odd) is None, odd
        assert _fed(text, PLAIN[1] + odd) is None, odd


@pytest.mark.parametrize("inbound", [Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES])
def test_chunks_that_never_repeat_a_shape_stop_the_learning(inbound: Dialect) -> None:
    """(OpenAI's `obfuscation` field: random padding in every chunk.)"""
    chunks = [_event(b'{"index":0,"delta":{"content":"w%d "}}' % i,
                     b',"usage":null,"obfuscation":"%s"}' % (b"x" * i)) for i in range(30)]  # fmt: skip
    raw = b"".join(chunks + END)
    cuts = [sum(len(c) for c in chunks[: i + 1]) for i in range(len(chunks))]
    assert _relay(raw, cuts, True, inbound) == _relay(raw, cuts, False, inbound)
    r = _Relay(_leg(inbound))
    for chunk in chunks:
        r.feed(chunk)
    learner = r.chat if r.chat is not None else r.text
    assert learner is not None and learner._learns == 8


def _tool(args: bytes, start: bool = False) -> bytes:
    head = b'"id":"call_1","type":"function","function":{"name":"f","arguments":"'
    fn = head if start else b'"function":{"arguments":"'
    return _event(b'{"index":0,"delta":{"tool_calls":[{"index":0,' + fn + args + b'"}}]}}')


@pytest.mark.parametrize("inbound", [Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC])
@pytest.mark.parametrize("fast", [True, False])
def test_a_tool_call_continued_after_text_ends_in_the_callers_error_event(
    inbound: Dialect, fast: bool
) -> None:
    """Text closes the tool call's item (block); more arguments for that call have nowhere to
    go: a BadResponse ending, never an exception out of the translator. The text before the
    tool call teaches the fast path its shape, so the text after it is read unparsed."""
    events = [_text(b"first "), _text(b"again "), _tool(b'{\\"a\\":', start=True)]
    events += [_text(b"then "), _text(b"more "), _tool(b"1}"), *END]
    raw = b"".join(events)
    out, _ = _relay(raw, [], fast, inbound)
    assert out.count(b"upstream continued a tool call after text") == 1, out
    assert out.rstrip().endswith(b"}"), out  # the error event is the last one
    assert b"event: error\n" in out
