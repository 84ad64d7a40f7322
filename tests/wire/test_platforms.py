"""Platform wire facts: Bedrock and Vertex paths and bodies, and Bedrock's event-stream frames read
by botocore's parser into Messages events (split anywhere, exceptions, broken frames)."""

from __future__ import annotations

import base64
import random

import orjson
import pytest

from switchyard.catalog import Dialect, Platform
from switchyard.testing.cloud import event_message
from switchyard.wire import stream_reader, upstream_request
from switchyard.wire.eventstream import BedrockEvents
from switchyard.wire.platforms import platform_request

BODY = {"model": "anthropic.claude-v1:0", "max_tokens": 8, "messages": [], "stream": True}


def test_bedrock_request() -> None:
    path, body = platform_request(Platform.BEDROCK, Dialect.ANTHROPIC, BODY, "us-east-1", None)
    assert path == "/model/anthropic.claude-v1%3A0/invoke-with-response-stream"
    assert body == {"max_tokens": 8, "messages": [], "anthropic_version": "bedrock-2023-05-31"}
    plain = {k: v for k, v in BODY.items() if k != "stream"}
    assert platform_request(Platform.BEDROCK, Dialect.ANTHROPIC, plain, "r", None)[0].endswith(
        "/invoke"
    )


def test_vertex_requests() -> None:
    path, body = platform_request(Platform.VERTEX, Dialect.ANTHROPIC, BODY, "us-east5", "p-1")
    assert path == (
        "/projects/p-1/locations/us-east5/publishers/anthropic/models/"
        "anthropic.claude-v1%3A0:streamRawPredict"
    )
    assert body["stream"] is True and body["anthropic_version"] == "vertex-2023-10-16"
    assert "model" not in body
    gemini = {"model": "gemini-2.5-pro", "contents": []}
    path, body = platform_request(Platform.VERTEX, Dialect.GOOGLE, gemini, "global", "p-1")
    assert (
        path
        == "/projects/p-1/locations/global/publishers/google/models/gemini-2.5-pro:generateContent"
    )
    assert body == {"contents": []}
    assert platform_request(Platform.DIRECT, Dialect.GOOGLE, gemini, None, None) == (
        upstream_request(Dialect.GOOGLE, gemini)
    )


def chunk(event: dict[str, object]) -> bytes:
    payload = orjson.dumps({"bytes": base64.b64encode(orjson.dumps(event)).decode()})
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return event_message(headers, payload)


EVENTS: list[dict[str, object]] = [
    {
        "type": "message_start",
        "message": {"id": "m", "usage": {"input_tokens": 5, "output_tokens": 1}},
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "OK"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
]


@pytest.mark.parametrize("seed", range(5))
def test_event_stream_split_anywhere(seed: int) -> None:
    raw = b"".join(chunk(e) for e in EVENTS)
    cuts = sorted(random.Random(seed).sample(range(1, len(raw)), 12))
    parser, reader = BedrockEvents(), stream_reader(Dialect.ANTHROPIC)
    events = []
    for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True):
        events += parser.feed(raw[a:b])
    assert [e.event for e in events] == [e["type"] for e in EVENTS]
    for event in events:
        reader.observe(event)
    assert reader.finished and not reader.malformed and reader.usage is not None
    assert (reader.usage.input_tokens, reader.usage.output_tokens) == (5, 2)


def test_exceptions_and_broken_frames() -> None:
    headers = {
        ":exception-type": "throttlingException",
        ":message-type": "exception",
        ":content-type": "application/json",
    }
    parser = BedrockEvents()
    (error,) = parser.feed(event_message(headers, b'{"message":"Too many requests, secret"}'))
    data = orjson.loads(error.data)
    assert error.event == "error" and data["error"]["type"] == "rate_limit_error"
    assert "secret" not in error.data  # no upstream text reaches a caller
    broken = bytearray(chunk(EVENTS[0]))
    broken[-1] ^= 0xFF  # a message CRC that does not match
    reader = stream_reader(Dialect.ANTHROPIC)
    for event in BedrockEvents().feed(bytes(broken)):
        reader.observe(event)
    assert reader.malformed
