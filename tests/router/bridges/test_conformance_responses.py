"""responsesToChat through a real router: the openai SDK's Responses client on a Chat upstream."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.responses import ResponseFunctionToolCall

from .stack import CALLER, CLOCK_SCHEMA, REPLY, WEATHER_SCHEMA, Stack

TOOLS = [
    {"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA, "strict": False},
    {"type": "function", "name": "get_time", "parameters": CLOCK_SCHEMA, "strict": False},
]


def client(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.router.v1, api_key=CALLER, max_retries=0)


def calls(response: object) -> list[ResponseFunctionToolCall]:
    return [i for i in getattr(response, "output", []) if i.type == "function_call"]


def test_text_plain_and_streamed(stack: Stack) -> None:
    oai = client(stack)
    before = stack.row_count("chat-m")
    plain = oai.responses.create(model="chat-m", input="hi", instructions="Be brief.")
    assert plain.output_text == REPLY and plain.status == "completed"
    assert plain.usage is not None and plain.usage.output_tokens > 0
    sent = stack.upstream("chat-m")[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
    with oai.responses.stream(model="chat-m", input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) > 1 and "".join(deltas) == REPLY == final.output_text
    assert final.usage is not None and final.usage.input_tokens > 0
    rows = stack.rows("chat-m", before, 2)
    for row in rows:
        assert (row["inbound_skin"], row["target_skin"]) == ("openai-responses", "openai-chat")
        assert row["bridge_direction"] == "responsesToChat" and row["status"] == 200
        assert row["input_tokens"] and row["output_tokens"]
    assert [r["stream"] for r in rows] == [False, True]
    assert (
        'switchyard_skin_requests_total{bridge_direction="responsesToChat",group="chat-m",'
        'inbound="openai-responses",model="m",outcome="ok",provider="chat",'
        'target_skin="openai-chat"}'
    ) in stack.router.metrics()


def test_tool_call_arguments_in_many_deltas(stack: Stack) -> None:
    oai = client(stack)
    with oai.responses.stream(
        model="chat-m",
        input="weather?",
        tools=TOOLS,
        tool_choice={"type": "function", "name": "get_weather"},
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    (call,) = calls(final)
    assert len(deltas) >= 4 and "".join(deltas) == call.arguments
    assert call.name == "get_weather" and set(json.loads(call.arguments)) == set(
        WEATHER_SCHEMA["required"]
    )
    sent = stack.upstream("chat-m")[-1]["body"]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.parametrize("stream", [False, True])
def test_parallel_tool_calls(stack: Stack, stream: bool) -> None:
    oai = client(stack)
    if stream:
        with oai.responses.stream(model="chat-par", input="both", tools=TOOLS) as s:
            final = s.get_final_response()
    else:
        final = oai.responses.create(model="chat-par", input="both", tools=TOOLS)
    got = calls(final)
    assert [c.name for c in got] == ["get_weather", "get_time"]
    assert len({c.call_id for c in got}) == 2
    assert json.loads(got[1].arguments) == {"timezone": "OK"}


def test_tool_result_round_trip(stack: Stack) -> None:
    oai = client(stack)
    first = oai.responses.create(model="chat-m", input="weather?", tools=TOOLS)
    (call,) = calls(first)
    follow = [
        {"role": "user", "content": "weather?"},
        {
            "type": "function_call",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": call.arguments,
        },
        {"type": "function_call_output", "call_id": call.call_id, "output": "18C and sunny"},
    ]
    second = oai.responses.create(model="chat-m", input=follow, tools=TOOLS, tool_choice="none")  # type: ignore[arg-type]
    assert second.output_text == REPLY
    messages = stack.upstream("chat-m")[-1]["body"]["messages"]
    assert messages[1]["tool_calls"][0]["id"] == call.call_id
    assert messages[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "18C and sunny"}


def test_output_cap_is_incomplete(stack: Stack) -> None:
    oai = client(stack)
    plain = oai.responses.create(model="chat-m", input="hi", max_output_tokens=3)
    assert plain.status == "incomplete" and plain.incomplete_details is not None
    assert plain.incomplete_details.reason == "max_output_tokens"
    assert stack.upstream("chat-m")[-1]["body"]["max_tokens"] == 3
    with oai.responses.stream(model="chat-m", input="hi", max_output_tokens=3) as stream:
        events = list(stream)
    assert events[-1].type == "response.incomplete"


@pytest.mark.parametrize("model", ["chat-cut", "chat-err"])
def test_stream_broken_after_first_byte(stack: Stack, model: str) -> None:
    oai = client(stack)
    before = stack.row_count(model)
    with oai.responses.stream(model=model, input="hi") as stream:
        events = list(stream)
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            stream.get_final_response()
    assert events[0].type == "response.created"
    assert any(e.type == "response.output_text.delta" for e in events)
    # the same `error` event a native Responses stream ends with (one shape per path)
    last = events[-1]
    assert last.type == "error"
    assert last.code in {"UpstreamError", "BadResponse"}
    (row,) = stack.rows(model, before)
    assert row["error_class"] is not None and row["bridge_direction"] == "responsesToChat"


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_error_before_first_byte(stack: Stack, stream: bool) -> None:
    oai = client(stack)
    with pytest.raises(openai.APIStatusError) as info:
        if stream:
            with oai.responses.stream(model="chat-down", input="hi") as s:
                list(s)
        else:
            oai.responses.create(model="chat-down", input="hi")
    assert info.value.status_code == 502
    body = info.value.body
    assert isinstance(body, dict) and body["code"] == "UpstreamError"
    assert "The server had an error" not in str(body)  # the upstream's own text stays upstream


def test_refused_shapes_answer_400_in_the_responses_shape(stack: Stack) -> None:
    oai = client(stack)
    with pytest.raises(openai.BadRequestError, match="previous_response_id"):
        oai.responses.create(model="chat-m", input="hi", previous_response_id="resp_1")
    with pytest.raises(openai.BadRequestError, match="hosted tools"):
        oai.responses.create(model="chat-m", input="hi", tools=[{"type": "web_search"}])
