"""chatToResponses and chatToMessages through a real router: the openai Chat client on a
Responses-only and on an Anthropic-only upstream."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from .stack import CALLER, CLOCK_SCHEMA, REPLY, WEATHER_SCHEMA, Stack

TOOLS: list[Any] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
    {"type": "function", "function": {"name": "get_time", "parameters": CLOCK_SCHEMA}},
]
HI: list[Any] = [{"role": "user", "content": "hi"}]
SKIN = {"resp": ("openai-responses", "chatToResponses", "/v1/responses"),
        "anth": ("anthropic", "chatToMessages", "/v1/messages")}  # fmt: skip
UPSTREAMS = pytest.mark.parametrize("up", ["resp", "anth"])


def client(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.router.v1, api_key=CALLER, max_retries=0)


@UPSTREAMS
def test_text_plain_and_streamed(stack: Stack, up: str) -> None:
    oai = client(stack)
    group = f"{up}-m"
    before = stack.row_count(group)
    plain = oai.chat.completions.create(
        model=group, messages=[{"role": "system", "content": "Be brief."}, *HI]
    )
    assert plain.choices[0].message.content == REPLY and plain.choices[0].finish_reason == "stop"
    assert plain.usage is not None and plain.usage.completion_tokens > 0 and plain.model == group
    sent = stack.upstream(group)[-1]
    assert sent["path"] == SKIN[up][2]
    assert (sent["body"].get("instructions") or sent["body"].get("system")) == "Be brief."
    with oai.chat.completions.stream(
        model=group, messages=HI, stream_options={"include_usage": True}
    ) as stream:
        texts = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert len(texts) > 1 and final.choices[0].message.content == REPLY
    assert final.usage is not None and final.usage.prompt_tokens > 0
    rows = stack.rows(group, before, 2)
    for row in rows:
        assert (row["inbound_skin"], row["target_skin"], row["bridge_direction"]) == (
            "openai-chat",
            SKIN[up][0],
            SKIN[up][1],
        )
    assert rows[1]["output_tokens"] == final.usage.completion_tokens
    metric = f'switchyard_skin_requests_total{{bridge_direction="{SKIN[up][1]}",group="{group}"'
    assert metric in stack.router.metrics()


@UPSTREAMS
def test_tool_arguments_in_many_deltas(stack: Stack, up: str) -> None:
    oai = client(stack)
    forced: Any = {"type": "function", "function": {"name": "get_weather"}}
    with oai.chat.completions.stream(
        model=f"{up}-m", messages=HI, tools=TOOLS, tool_choice=forced
    ) as stream:
        deltas = [e for e in stream if e.type == "tool_calls.function.arguments.delta"]
        final = stream.get_final_completion()
    choice = final.choices[0]
    (call,) = choice.message.tool_calls or []
    assert choice.finish_reason == "tool_calls" and len(deltas) >= 4
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert set(json.loads(call.function.arguments)) == set(WEATHER_SCHEMA["required"])  # type: ignore[union-attr]


@UPSTREAMS
@pytest.mark.parametrize("stream", [False, True])
def test_parallel_tool_calls(stack: Stack, up: str, stream: bool) -> None:
    oai = client(stack)
    if stream:
        with oai.chat.completions.stream(model=f"{up}-par", messages=HI, tools=TOOLS) as s:
            final = s.get_final_completion()
    else:
        final = oai.chat.completions.create(model=f"{up}-par", messages=HI, tools=TOOLS)  # type: ignore[assignment]
    calls = final.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]  # type: ignore[union-attr]
    assert len({c.id for c in calls}) == 2
    single = oai.chat.completions.create(
        model=f"{up}-par", messages=HI, tools=TOOLS, parallel_tool_calls=False
    )
    assert len(single.choices[0].message.tool_calls or []) == 1


@UPSTREAMS
def test_tool_result_round_trip(stack: Stack, up: str) -> None:
    oai = client(stack)
    first = oai.chat.completions.create(model=f"{up}-m", messages=HI, tools=TOOLS)
    message = first.choices[0].message
    (call,) = message.tool_calls or []
    history: list[Any] = [
        *HI,
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    second = oai.chat.completions.create(
        model=f"{up}-m", messages=history, tools=TOOLS, tool_choice="none"
    )
    assert second.choices[0].message.content == REPLY
    body = stack.upstream(f"{up}-m")[-1]["body"]
    if up == "resp":
        assert {"type": "function_call_output", "call_id": call.id, "output": "18C"} in body[
            "input"
        ]
    else:
        result = body["messages"][-1]["content"][0]
        assert result == {"type": "tool_result", "tool_use_id": call.id, "content": "18C"}


@UPSTREAMS
def test_output_cap_finish_reason(stack: Stack, up: str) -> None:
    oai = client(stack)
    plain = oai.chat.completions.create(model=f"{up}-m", messages=HI, max_tokens=3)
    assert plain.choices[0].finish_reason == "length"
    with (
        oai.chat.completions.stream(model=f"{up}-m", messages=HI, max_tokens=3) as stream,
        pytest.raises(openai.LengthFinishReasonError) as info,  # the helper's way to say "length"
    ):
        stream.get_final_completion()
    assert info.value.completion.choices[0].finish_reason == "length"


@UPSTREAMS
@pytest.mark.parametrize("kind", ["cut", "err"])
def test_stream_broken_after_first_byte(stack: Stack, up: str, kind: str) -> None:
    oai = client(stack)
    group = f"{up}-{kind}"
    before = stack.row_count(group)
    texts: list[str] = []
    with pytest.raises(openai.APIError, match="upstream"):
        stream = oai.chat.completions.create(
            model=group, messages=HI, stream=True, stream_options={"include_usage": True}
        )
        for chunk in stream:
            texts.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(texts)  # text reached the caller before the break
    (row,) = stack.rows(group, before)
    assert row["error_class"] is not None and row["bridge_direction"] == SKIN[up][1]
    if up == "anth":
        assert row["input_tokens"]  # message_start counted input before the break


@UPSTREAMS
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_error_before_first_byte(stack: Stack, up: str, stream: bool) -> None:
    oai = client(stack)
    with pytest.raises(openai.APIStatusError) as info:
        oai.chat.completions.create(model=f"{up}-down", messages=HI, stream=stream)
    assert info.value.status_code == 502
    body = info.value.body
    assert isinstance(body, dict) and body["code"] == "UpstreamError"


@UPSTREAMS
def test_refused_shapes_are_chat_400s(stack: Stack, up: str) -> None:
    oai = client(stack)
    with pytest.raises(openai.BadRequestError, match="n > 1"):
        oai.chat.completions.create(model=f"{up}-m", messages=HI, n=2)
    with pytest.raises(openai.BadRequestError, match="presence_penalty"):
        oai.chat.completions.create(model=f"{up}-m", messages=HI, presence_penalty=0.5)
