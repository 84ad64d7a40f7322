"""The golden translations, served over loopback, read by the official SDKs' stream helpers.

This pins down that what the bridges emit is what the SDK accumulators expect (event order,
ids, indexes), independently of the router.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anthropic
import openai
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from switchyard.catalog import BridgeDirection

from .golden_cases import expected_path

Serve = Callable[[str, BridgeDirection], str]


@pytest.fixture
async def serve(aiohttp_server: Any) -> AsyncIterator[Serve]:
    """Serve one golden output as the answer to any POST; returns the base URL."""
    bodies: dict[str, bytes] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bodies["body"], content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    server: TestServer = await aiohttp_server(app)

    def use(name: str, direction: BridgeDirection) -> str:
        bodies["body"] = expected_path(name, direction).read_bytes()
        return str(server.make_url("/v1"))

    yield use


TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}


async def test_responses_stream_of_parallel_tool_calls(serve: Serve) -> None:
    url = serve("chat_parallel_tools", BridgeDirection.RESPONSES_TO_CHAT)
    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0)
    deltas: list[str] = []
    async with client.responses.stream(model="agent-coding", input="hi") as stream:
        async for event in stream:
            if event.type == "response.function_call_arguments.delta":
                deltas.append(event.delta)
        final = await stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == "Checking both cities."
    calls = [item for item in final.output if item.type == "function_call"]
    assert [c.call_id for c in calls] == [
        "call_DdmO9pD3xa9XTPNJ32zg2hcA",
        "call_ABCDxa9XTPNJ32zg2hcA0000",
    ]
    assert calls[1].arguments == '{"location": "Bogotá, Colombia", "unit": "celsius"}'
    assert len(deltas) > 10
    assert final.usage is not None and (final.usage.input_tokens, final.usage.output_tokens) == (
        82,
        45,
    )


async def test_responses_stream_cut_by_cap_is_incomplete(serve: Serve) -> None:
    url = serve("chat_text_length", BridgeDirection.RESPONSES_TO_CHAT)
    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0)
    async with client.responses.stream(model="agent-coding", input="hi") as stream:
        types = [event.type async for event in stream]
    assert types[-1] == "response.incomplete"
    assert "response.completed" not in types


async def test_responses_stream_interrupted_ends_with_the_error_event(serve: Serve) -> None:
    url = serve("chat_interrupted", BridgeDirection.RESPONSES_TO_CHAT)
    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0)
    async with client.responses.stream(model="agent-coding", input="hi") as stream:
        events = [event async for event in stream]
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            await stream.get_final_response()
    # the reference `error` event, as a native Responses stream ends (docs/wire.md)
    last = events[-1]
    assert last.type == "error"
    assert last.code == "BadResponse" and last.sequence_number > 0


async def test_anthropic_stream_of_parallel_tool_calls(serve: Serve) -> None:
    url = serve("chat_parallel_tools", BridgeDirection.MESSAGES_TO_CHAT)
    client = anthropic.AsyncAnthropic(base_url=url.removesuffix("/v1"), api_key="k", max_retries=0)
    async with client.messages.stream(
        model="agent-coding", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [b.type for b in final.content] == ["text", "tool_use", "tool_use"]
    assert final.content[2].input == {"location": "Bogotá, Colombia", "unit": "celsius"}  # type: ignore[union-attr]
    assert (final.usage.input_tokens, final.usage.output_tokens) == (82, 45)


async def test_anthropic_stream_interrupted_raises(serve: Serve) -> None:
    url = serve("chat_interrupted", BridgeDirection.MESSAGES_TO_CHAT)
    client = anthropic.AsyncAnthropic(base_url=url.removesuffix("/v1"), api_key="k", max_retries=0)
    with pytest.raises(anthropic.APIStatusError, match="ended before it finished"):
        async with client.messages.stream(
            model="agent-coding", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            await stream.get_final_message()


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("anthropic_tool_use", BridgeDirection.CHAT_TO_MESSAGES),
        ("responses_function_call", BridgeDirection.CHAT_TO_RESPONSES),
    ],
)
async def test_chat_stream_helper_accumulates_tool_calls(
    serve: Serve, name: str, direction: BridgeDirection
) -> None:
    url = serve(name, direction)
    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0)
    async with client.chat.completions.stream(
        model="agent-coding", messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        final = await stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert calls and calls[0].function.arguments.startswith('{"location')
    if direction is BridgeDirection.CHAT_TO_MESSAGES:
        assert choice.message.content == "Okay, let's check the weather."
        assert [c.function.arguments for c in calls][1] == "{}"
        assert final.usage is not None and final.usage.prompt_tokens == 572
    else:
        assert choice.message.content == "Let me look that up."
        assert final.usage is not None and final.usage.total_tokens == 314


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("anthropic_overloaded", BridgeDirection.CHAT_TO_MESSAGES),
        ("responses_failed", BridgeDirection.CHAT_TO_RESPONSES),
    ],
)
async def test_chat_stream_error_mid_stream_raises(
    serve: Serve, name: str, direction: BridgeDirection
) -> None:
    url = serve(name, direction)
    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0)
    texts: list[str] = []
    with pytest.raises(openai.APIError, match="upstream"):
        stream = await client.chat.completions.create(
            model="agent-coding", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in stream:
            texts.extend(c.delta.content or "" for c in chunk.choices)
    assert texts  # the caller saw the first bytes before the error
