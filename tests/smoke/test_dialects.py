"""Dialect adapters read real-shaped answers and refuse streams that break their grammar."""

from __future__ import annotations

import pytest

from switchyard.catalog import Dialect
from switchyard.smoke.dialects import ADAPTERS, MalformedStreamError, StreamFailedError
from switchyard.wire import SSEEvent, SSEParser, encode


def events(raw: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    return parser.feed(raw) + parser.flush()


CHUNK = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "OK"}}]}
USAGE = {"object": "chat.completion.chunk", "choices": [],
         "usage": {"prompt_tokens": 5, "completion_tokens": 1}}  # fmt: skip


def test_chat_stream_with_split_tool_arguments() -> None:
    parts = [
        {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "c1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"ci'}}]}}]},
        {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]},
            "finish_reason": "tool_calls"}]},
        USAGE,
    ]  # fmt: skip
    raw = b"".join(encode(p) for p in parts) + b"data: [DONE]\n\n"
    reply = ADAPTERS[Dialect.OPENAI_CHAT].stream_reply(events(raw))
    assert reply.tool_calls[0].name == "get_weather"
    assert reply.tool_calls[0].arguments == {"city": "Paris"}
    assert (reply.input_tokens, reply.output_tokens, reply.finish) == (5, 1, "tool_calls")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (encode(CHUNK), MalformedStreamError),  # no [DONE]
        (b"data: [DONE]\n\n", MalformedStreamError),  # nothing before it
        (b"data: {not json\n\ndata: [DONE]\n\n", MalformedStreamError),
        (encode({"object": "chat.completion", "choices": []}) + b"data: [DONE]\n\n",
         MalformedStreamError),
        (encode(CHUNK) + encode({"error": {"message": "x"}}) + b"data: [DONE]\n\n",
         StreamFailedError),
    ],
)  # fmt: skip
def test_chat_stream_grammar(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        ADAPTERS[Dialect.OPENAI_CHAT].stream_reply(events(raw))


def _responses(*kinds: str) -> bytes:
    out = b""
    for kind in kinds:
        data: dict[str, object] = {"type": kind}
        if kind in ("response.created", "response.completed"):
            data["response"] = {"object": "response", "status": "completed", "output": [
                {"type": "message", "content": [{"type": "output_text", "text": "OK"}]}],
                "usage": {"input_tokens": 3, "output_tokens": 1}}  # fmt: skip
        out += encode(data, event=kind)
    return out


def test_responses_stream_ok_and_broken() -> None:
    adapter = ADAPTERS[Dialect.OPENAI_RESPONSES]
    reply = adapter.stream_reply(events(_responses("response.created", "response.completed")))
    assert (reply.text, reply.input_tokens, reply.output_tokens) == ("OK", 3, 1)
    with pytest.raises(MalformedStreamError, match=r"response\.created"):
        adapter.stream_reply(events(_responses("response.completed")))
    with pytest.raises(MalformedStreamError, match=r"without response\.completed"):
        adapter.stream_reply(events(_responses("response.created")))
    with pytest.raises(StreamFailedError):
        adapter.stream_reply(events(_responses("response.created", "response.failed")))
    mismatched = encode({"type": "response.created", "response": {}}, event="response.done")
    with pytest.raises(MalformedStreamError, match="disagree"):
        adapter.stream_reply(events(mismatched))


def _anthropic(*datas: dict[str, object]) -> bytes:
    return b"".join(encode(d, event=str(d["type"])) for d in datas)


START = {"type": "message_start", "message": {"usage": {"input_tokens": 7, "output_tokens": 1}}}
TOOL = {"type": "content_block_start", "index": 0,
        "content_block": {"type": "tool_use", "name": "get_time", "input": {}}}  # fmt: skip
DELTA = {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": '{"timezone": "UTC"}'}}  # fmt: skip
STOP = {"type": "content_block_stop", "index": 0}
MDELTA = {
    "type": "message_delta",
    "delta": {"stop_reason": "tool_use"},
    "usage": {"output_tokens": 9},
}
END = {"type": "message_stop"}


def test_anthropic_stream_ok_and_broken() -> None:
    adapter = ADAPTERS[Dialect.ANTHROPIC]
    reply = adapter.stream_reply(events(_anthropic(START, TOOL, DELTA, STOP, MDELTA, END)))
    assert reply.tool_calls[0].name == "get_time"
    assert reply.tool_calls[0].arguments == {"timezone": "UTC"}
    assert (reply.input_tokens, reply.output_tokens, reply.finish) == (7, 9, "tool_use")
    with pytest.raises(MalformedStreamError, match="never stopped"):
        adapter.stream_reply(events(_anthropic(START, TOOL, DELTA, MDELTA, END)))
    with pytest.raises(MalformedStreamError, match="not open"):
        adapter.stream_reply(events(_anthropic(START, DELTA, END)))
    with pytest.raises(MalformedStreamError, match="after message_stop"):
        adapter.stream_reply(events(_anthropic(START, END, MDELTA)))
    with pytest.raises(StreamFailedError):
        adapter.stream_reply(events(_anthropic(START, {"type": "error", "error": {}})))


def test_non_stream_replies() -> None:
    chat = ADAPTERS[Dialect.OPENAI_CHAT].reply(
        {"choices": [{"message": {"content": "OK", "reasoning_content": "hm"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 4, "completion_tokens": 2,
                   "completion_tokens_details": {"reasoning_tokens": 1}}}
    )  # fmt: skip
    assert (chat.text, chat.reasoning_seen, chat.reasoning_tokens) == ("OK", True, 1)
    with pytest.raises(ValueError, match="choices"):
        ADAPTERS[Dialect.OPENAI_CHAT].reply({"id": "x"})
    with pytest.raises(ValueError, match="message object"):
        ADAPTERS[Dialect.ANTHROPIC].reply({"type": "error"})
    with pytest.raises(ValueError, match="without output"):
        ADAPTERS[Dialect.OPENAI_RESPONSES].reply({"object": "response"})
