"""messagesToChat through a real router: the anthropic SDK on a Chat upstream."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic.types import ToolUseBlock

from .stack import CALLER, CLOCK_SCHEMA, REPLY, WEATHER_SCHEMA, Stack

TOOLS: list[Any] = [
    {"name": "get_weather", "description": "Weather", "input_schema": WEATHER_SCHEMA},
    {"name": "get_time", "input_schema": CLOCK_SCHEMA},
]
HI: list[Any] = [{"role": "user", "content": "hi"}]


def client(stack: Stack) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=stack.router.url, api_key=CALLER, max_retries=0)


def tool_uses(message: Any) -> list[ToolUseBlock]:
    return [b for b in message.content if b.type == "tool_use"]


def test_text_plain_and_streamed(stack: Stack) -> None:
    ant = client(stack)
    before = stack.row_count("chat-m")
    plain = ant.messages.create(model="chat-m", max_tokens=200, system="Be brief.", messages=HI)
    assert plain.content[0].type == "text" and plain.content[0].text == REPLY
    assert plain.stop_reason == "end_turn" and plain.model == "chat-m"
    assert plain.usage.input_tokens > 0 and plain.usage.output_tokens > 0
    sent = stack.upstream("chat-m")[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
    with ant.messages.stream(model="chat-m", max_tokens=200, messages=HI) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(texts) > 1 and "".join(texts) == REPLY
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    assert final.usage.input_tokens > 0  # carried on message_delta: Chat reports it at the end
    row = stack.rows("chat-m", before, 2)[1]
    assert (row["inbound_skin"], row["target_skin"], row["bridge_direction"]) == (
        "anthropic",
        "openai-chat",
        "messagesToChat",
    )
    assert row["input_tokens"] == final.usage.input_tokens
    assert row["output_tokens"] == final.usage.output_tokens


def test_tool_input_in_many_json_deltas(stack: Stack) -> None:
    ant = client(stack)
    with ant.messages.stream(
        model="chat-m",
        max_tokens=200,
        messages=HI,
        tools=TOOLS,
        tool_choice={"type": "tool", "name": "get_weather"},
    ) as stream:
        partials = [e.partial_json for e in stream if e.type == "input_json"]
        final = stream.get_final_message()
    (use,) = tool_uses(final)
    assert len(partials) >= 4
    assert final.stop_reason == "tool_use"
    assert use.name == "get_weather" and set(use.input) == set(WEATHER_SCHEMA["required"])


@pytest.mark.parametrize("stream", [False, True])
def test_parallel_tool_use(stack: Stack, stream: bool) -> None:
    ant = client(stack)
    if stream:
        with ant.messages.stream(model="chat-par", max_tokens=200, messages=HI, tools=TOOLS) as s:
            final = s.get_final_message()
    else:
        final = ant.messages.create(model="chat-par", max_tokens=200, messages=HI, tools=TOOLS)
    uses = tool_uses(final)
    assert [u.name for u in uses] == ["get_weather", "get_time"]
    assert uses[1].input == {"timezone": "OK"} and uses[0].id != uses[1].id
    single = ant.messages.create(
        model="chat-par",
        max_tokens=200,
        messages=HI,
        tools=TOOLS,
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
    )
    assert len(tool_uses(single)) == 1


def test_tool_result_round_trip(stack: Stack) -> None:
    ant = client(stack)
    first = ant.messages.create(model="chat-m", max_tokens=200, messages=HI, tools=TOOLS)
    (use,) = tool_uses(first)
    history: list[Any] = [
        *HI,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18C"}],
        },
    ]
    second = ant.messages.create(
        model="chat-m", max_tokens=200, messages=history, tools=TOOLS, tool_choice={"type": "none"}
    )
    assert second.content[0].type == "text" and second.stop_reason == "end_turn"
    messages = stack.upstream("chat-m")[-1]["body"]["messages"]
    assert messages[1]["tool_calls"][0]["id"] == use.id
    assert messages[2] == {"role": "tool", "tool_call_id": use.id, "content": "18C"}


def test_max_tokens_stop_reason(stack: Stack) -> None:
    ant = client(stack)
    plain = ant.messages.create(model="chat-m", max_tokens=3, messages=HI)
    assert plain.stop_reason == "max_tokens"
    with ant.messages.stream(model="chat-m", max_tokens=3, messages=HI) as stream:
        assert stream.get_final_message().stop_reason == "max_tokens"


@pytest.mark.parametrize("model", ["chat-cut", "chat-err"])
def test_stream_broken_after_first_byte(stack: Stack, model: str) -> None:
    ant = client(stack)
    before = stack.row_count(model)
    seen: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        ant.messages.stream(model=model, max_tokens=200, messages=HI) as stream,
    ):
        for event in stream:
            seen.append(event.type)
    assert "message_start" in seen and "message_stop" not in seen
    assert info.value.body is not None
    (row,) = stack.rows(model, before)
    assert row["error_class"] is not None and row["bridge_direction"] == "messagesToChat"


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_error_before_first_byte(stack: Stack, stream: bool) -> None:
    ant = client(stack)
    with pytest.raises(anthropic.APIStatusError) as info:
        if stream:
            with ant.messages.stream(model="chat-down", max_tokens=20, messages=HI) as s:
                list(s)
        else:
            ant.messages.create(model="chat-down", max_tokens=20, messages=HI)
    assert info.value.status_code == 502
    body = info.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "api_error"


def test_refused_shape_is_an_anthropic_400(stack: Stack) -> None:
    ant = client(stack)
    with pytest.raises(anthropic.BadRequestError, match="top_k") as info:
        ant.messages.create(model="chat-m", max_tokens=20, messages=HI, extra_body={"top_k": 3})
    body = info.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "invalid_request_error"
