"""The fake upstream against the official SDKs: wire formats, capabilities, failures, records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from aiohttp.test_utils import TestServer

from switchyard.testing import ScenarioError, create_app, parse_scenario

MSG = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip

SCENARIO: dict[str, Any] = {
    "models": {
        "plain": {},
        "no-tools": {"tools": False, "unsupported": "reject"},
        "capless": {"honorsMaxTokens": False},
        "thinker": {"emptyUnderCap": 16},
        "keyed": {"apiKey": "sk-right"},
        "denied": {"failure": {"kind": "entitlement"}},
        "limited": {"failure": {"kind": "rate_limit", "retryAfter": 4}},
        "broken": {"midStream": {"afterEvents": 2, "mode": "error"}},
        "chat-only": {"dialects": ["openai-chat"]},
    },
    "strictModels": True,
}


@pytest.fixture
async def base() -> AsyncIterator[str]:
    server = TestServer(create_app(parse_scenario(SCENARIO)), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


def _oai(base: str, key: str = "k") -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base + "/v1", api_key=key, max_retries=0)


async def test_chat_tools_stream_and_usage_chunk(base: str) -> None:
    stream = await _oai(base).chat.completions.create(
        model="plain", messages=MSG, tools=[TOOL], stream=True,  # type: ignore[arg-type, list-item]
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = [c async for c in stream]
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].function is not None and calls[0].function.name == "lookup"
    args = "".join(tc.function.arguments or "" for tc in calls if tc.function)
    assert args == '{"city":"OK"}'
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


async def test_responses_and_messages_shapes(base: str) -> None:
    r = await _oai(base).responses.create(model="plain", input="hi", max_output_tokens=50)
    assert r.output_text == "OK" and r.usage is not None and r.status == "completed"
    async with _oai(base).responses.stream(model="plain", input="hi") as s:
        kinds = [e.type async for e in s]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed" and "response.output_text.delta" in kinds
    claude = anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0)
    async with claude.messages.stream(model="plain", max_tokens=20, messages=MSG) as ms:  # type: ignore[arg-type]
        events = [e.type async for e in ms]
        final = await ms.get_final_message()
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert final.content[0].type == "text" and final.stop_reason == "end_turn"


async def test_capabilities_caps_and_reasoning(base: str) -> None:
    oai = _oai(base)
    with pytest.raises(openai.BadRequestError, match="tools"):
        await oai.chat.completions.create(model="no-tools", messages=MSG, tools=[TOOL])  # type: ignore[arg-type, list-item]
    capped = await oai.chat.completions.create(model="plain", messages=MSG, max_tokens=1)  # type: ignore[arg-type]
    assert capped.usage is not None and capped.usage.completion_tokens <= 1
    ignored = await oai.chat.completions.create(model="capless", messages=MSG, max_tokens=1)  # type: ignore[arg-type]
    assert ignored.usage is not None and ignored.usage.completion_tokens > 1
    empty = await oai.chat.completions.create(model="thinker", messages=MSG, max_tokens=8)  # type: ignore[arg-type]
    assert empty.choices[0].message.content == "" and empty.choices[0].finish_reason == "length"
    full = await oai.chat.completions.create(model="thinker", messages=MSG, max_tokens=512)  # type: ignore[arg-type]
    assert full.choices[0].message.content == "OK"
    image = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    seen = await oai.chat.completions.create(
        model="plain", messages=[{"role": "user", "content": image}]
    )  # type: ignore[arg-type, misc, list-item]
    assert seen.choices[0].message.content == "Rite Aid"


async def test_failures_and_access(base: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        await _oai(base, "wrong").chat.completions.create(model="keyed", messages=MSG)  # type: ignore[arg-type]
    assert (
        await _oai(base, "sk-right").chat.completions.create(model="keyed", messages=MSG)
    ).choices  # type: ignore[arg-type]
    with pytest.raises(openai.PermissionDeniedError, match="entitled"):
        await _oai(base).chat.completions.create(model="denied", messages=MSG)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as rl:
        await _oai(base).responses.create(model="limited", input="hi")
    assert rl.value.response.headers["retry-after"] == "4"
    with pytest.raises(openai.NotFoundError):
        await _oai(base).chat.completions.create(model="unlisted", messages=MSG)  # type: ignore[arg-type]
    with pytest.raises(openai.NotFoundError):
        await _oai(base).responses.create(model="chat-only", input="hi")
    claude = anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0)
    with pytest.raises(anthropic.APIStatusError, match="overloaded"):
        async with claude.messages.stream(model="broken", max_tokens=20, messages=MSG) as ms:  # type: ignore[arg-type]
            async for _ in ms:
                pass


async def test_records_and_scenario_control(base: str) -> None:
    await _oai(base).chat.completions.create(model="plain", messages=MSG, max_tokens=7)  # type: ignore[arg-type]
    async with httpx.AsyncClient(base_url=base) as http:
        data = (await http.get("/_mock/requests")).json()
        assert data["total"] == 1 and data["last"]["body"]["max_tokens"] == 7
        assert data["last"]["headers"]["authorization"] == "Bearer k"
        bad = await http.put("/_mock/scenario", json={"models": {"x": {"latencyMs": -1}}})
        assert bad.status_code == 400 and "latencyMs" in bad.json()["error"]
        await http.delete("/_mock/requests")
        assert (await http.get("/_mock/requests")).json()["total"] == 0


def test_scenario_validation_names_the_field() -> None:
    with pytest.raises(ScenarioError, match=r"models\.m\.failure\.kind"):
        parse_scenario({"models": {"m": {"failure": {"kind": "nope"}}}})
    merged = parse_scenario({"defaults": {"reply": "hey"}, "models": {"m": {"tools": False}}})
    behaviour = merged.behaviour("m")
    assert behaviour is not None and behaviour.reply == "hey" and behaviour.tools is False
