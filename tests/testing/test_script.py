"""Scripted conversations in the fake upstream: call a tool, then quote its result, on all
three skins, streaming and not, driven by the official SDKs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest
from aiohttp.test_utils import TestServer

from switchyard.testing import ScenarioError, create_app, parse_scenario

SCRIPT = [
    {"call": {"tool": "shell", "arguments": {"cmd": "echo hi"}}},
    {"reply": "It said: {result}"},
]
SCENARIO: dict[str, Any] = {"models": {"agent": {"script": SCRIPT, "reply": "no tools here"}}}
PARAMS = {"type": "object", "properties": {"cmd": {"type": "string"}}}


@pytest.fixture
async def base() -> AsyncIterator[str]:
    server = TestServer(create_app(parse_scenario(SCENARIO)), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


@pytest.mark.parametrize("stream", [False, True])
async def test_chat_round_trip(base: str, stream: bool) -> None:
    client = openai.AsyncOpenAI(base_url=base + "/v1", api_key="k", max_retries=0)
    tools: Any = [{"type": "function", "function": {"name": "shell", "parameters": PARAMS}}]
    user: Any = {"role": "user", "content": "go"}
    first = await client.chat.completions.create(model="agent", messages=[user], tools=tools)
    call = (first.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "shell" and call.function.arguments == '{"cmd":"echo hi"}'  # type: ignore[union-attr]
    history: Any = [
        user,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "hi-42"},
    ]
    if stream:
        chunks = await client.chat.completions.create(
            model="agent", messages=history, tools=tools, stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])
    else:
        done = await client.chat.completions.create(model="agent", messages=history, tools=tools)
        text = done.choices[0].message.content or ""
    assert text == "It said: hi-42"
    bare = await client.chat.completions.create(model="agent", messages=[user])
    assert bare.choices[0].message.content == "no tools here"  # the tool is not offered


@pytest.mark.parametrize("stream", [False, True])
async def test_responses_round_trip(base: str, stream: bool) -> None:
    client = openai.AsyncOpenAI(base_url=base + "/v1", api_key="k", max_retries=0)
    tools: Any = [{"type": "function", "name": "shell", "parameters": PARAMS}]
    first = await client.responses.create(model="agent", input="go", tools=tools)
    call = next(i for i in first.output if i.type == "function_call")
    history: Any = [
        {"role": "user", "content": "go"},
        {"type": "function_call", "call_id": call.call_id, "name": "shell", "arguments": call.arguments},  # type: ignore[union-attr]
        {"type": "function_call_output", "call_id": call.call_id, "output": "hi-42"},  # type: ignore[union-attr]
    ]  # fmt: skip
    if stream:
        events = await client.responses.create(
            model="agent", input=history, tools=tools, stream=True
        )
        text = "".join([e.delta async for e in events if e.type == "response.output_text.delta"])
    else:
        text = (
            await client.responses.create(model="agent", input=history, tools=tools)
        ).output_text
    assert text == "It said: hi-42"


@pytest.mark.parametrize("stream", [False, True])
async def test_messages_round_trip(base: str, stream: bool) -> None:
    client = anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0)
    tools: Any = [{"name": "shell", "input_schema": PARAMS}]
    user: Any = {"role": "user", "content": "go"}
    first = await client.messages.create(model="agent", max_tokens=50, messages=[user], tools=tools)
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.input == {"cmd": "echo hi"}  # type: ignore[union-attr]
    result = {
        "type": "tool_result",
        "tool_use_id": use.id,
        "content": [{"type": "text", "text": "hi-42"}],
    }  # type: ignore[union-attr]
    history: Any = [
        user,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [result]},
    ]
    if stream:
        async with client.messages.stream(
            model="agent", max_tokens=50, messages=history, tools=tools
        ) as s:
            text = "".join([t async for t in s.text_stream])
    else:
        done = await client.messages.create(
            model="agent", max_tokens=50, messages=history, tools=tools
        )
        text = "".join(b.text for b in done.content if b.type == "text")
    assert text == "It said: hi-42"


def test_a_step_is_a_call_or_a_reply() -> None:
    with pytest.raises(ScenarioError, match="exactly one of call or reply"):
        parse_scenario({"models": {"m": {"script": [{"reply": "a", "call": {"tool": "t"}}]}}})
    with pytest.raises(ScenarioError, match="exactly one of call or reply"):
        parse_scenario({"models": {"m": {"script": [{}]}}})


async def test_namespace_tools_are_client_tools(base: str) -> None:
    """Codex sends its multi-agent function tools inside a Responses `namespace` tool on every
    request; the real API serves that like any client tools, so the fake must too (a namespace
    is not a hosted tool)."""
    client = openai.AsyncOpenAI(base_url=base + "/v1", api_key="k", max_retries=0)
    namespace: Any = {
        "type": "namespace",
        "name": "multi_agent_v1",
        "description": "agents",
        "tools": [{"type": "function", "name": "spawn_agent", "parameters": PARAMS}],
    }
    done = await client.responses.create(model="agent", input="hi", tools=[namespace])
    assert done.status == "completed"
