"""The google dialect through a real router process and the fake upstream: Gemini callers served
natively (POST /v1/models/{group}:generateContent, :streamGenerateContent?alt=sse, also under
/v1beta) and OpenAI Chat callers through chatToGoogle, driven by the official openai SDK."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import openai
import orjson
import pytest

from switchyard.catalog import Dialect
from switchyard.wire import SSEParser

from .harness import (
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_mock,
    run_router,
)

CALLER = "sk-caller-google-1"
REPLY = "The quick brown fox jumps over the lazy dog near the river bank today"
REFS = {"m": "gemini-m", "par": "gemini-par", "err": "gemini-err", "bad": "gemini-bad"}
WEATHER: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TOOLS: list[Any] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}},
]
HI: list[Any] = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mock, Router]]:
    with run_mock() as mock:
        mock.scenario(
            {
                "defaults": {"apiKey": PROVIDER_KEY, "reply": REPLY},
                "models": {
                    "gemini-par": {"parallelToolCalls": True},
                    "gemini-err": {"midStream": {"afterEvents": 2, "mode": "error"}},
                    "gemini-bad": {"apiKey": "a-key-the-router-does-not-have"},
                },
            }
        )
        gem = provider(
            "gem",
            mock.url + "/v1beta",
            Dialect.GOOGLE,
            models=REFS,
            bridges=["chatToGoogle"],
            auth="x-goog-api-key",
        )
        runs = [evidence(gem, ref, reasoning="gemini-budget") for ref in REFS]
        groups = [G(f"gem-{ref}", [T("gem", ref)], restricted=True, max_attempts=1) for ref in REFS]
        config = build([gem], groups, runs)
        secrets = provider_keys("gem")
        for g in groups:
            secrets[f"{g.name}-callers"] = {"c": CALLER}
        with run_router(tmp_path_factory.mktemp("google"), config, secrets) as router:
            yield mock, router


def oai(router: Router) -> openai.OpenAI:
    return openai.OpenAI(base_url=router.v1, api_key=CALLER, max_retries=0)


def last_sent(mock: Mock, model: str = "gemini-m") -> dict[str, Any]:
    return mock.requests(model)[-1]


def rows_for(router: Router, group: str, at_least: int = 1) -> list[dict[str, Any]]:
    """The group's usage rows, once ``at_least`` exist (a row lands just after its reply)."""
    deadline = time.monotonic() + 10
    while True:
        rows = [r for r in router.usage_rows() if r["group"] == group]
        if len(rows) >= at_least or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)


# ------------------------------------------------------------------ Chat callers, chatToGoogle


def test_chat_text_plain_and_streamed(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    client = oai(router)
    plain = client.chat.completions.create(
        model="gem-m", messages=[{"role": "system", "content": "Be brief."}, *HI], max_tokens=64
    )
    assert plain.choices[0].message.content == REPLY
    assert plain.choices[0].finish_reason == "stop" and plain.model == "gem-m"
    assert plain.usage is not None and plain.usage.completion_tokens == len(REPLY.split())
    sent = last_sent(mock)
    assert sent["path"] == "/v1beta/models/gemini-m:generateContent"
    assert sent["headers"]["x-goog-api-key"] == PROVIDER_KEY
    assert "authorization" not in sent["headers"] and CALLER not in json.dumps(sent["headers"])
    assert sent["body"]["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent["body"]["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]
    assert sent["body"]["generationConfig"] == {"maxOutputTokens": 64}
    with client.chat.completions.stream(
        model="gem-m", messages=HI, stream_options={"include_usage": True}
    ) as stream:
        texts = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert len(texts) > 1 and "".join(texts) == REPLY
    assert final.usage is not None and final.usage.prompt_tokens > 0
    assert last_sent(mock)["path"] == "/v1beta/models/gemini-m:streamGenerateContent"
    rows = router.wait_usage_rows(2)
    mine = [r for r in rows if r["group"] == "gem-m"][-2:]
    for row in mine:
        assert (row["inbound_skin"], row["target_skin"], row["bridge_direction"]) == (
            "openai-chat",
            "google",
            "chatToGoogle",
        )
        assert row["status"] == 200 and row["error_class"] is None
    assert mine[1]["output_tokens"] == final.usage.completion_tokens
    # cost: 1.00 and 2.00 USD per million input and output tokens
    cost = Decimal(mine[0]["cost_usd"])
    expected = (
        Decimal(mine[0]["input_tokens"]) * 1 + Decimal(mine[0]["output_tokens"]) * 2
    ) / 10**6
    assert cost == expected
    assert 'bridge_direction="chatToGoogle"' in router.metrics()


def test_chat_tools_forced_auto_and_round_trip(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    client = oai(router)
    forced: Any = {"type": "function", "function": {"name": "get_weather"}}
    reply = client.chat.completions.create(
        model="gem-m", messages=HI, tools=TOOLS, tool_choice=forced
    )
    choice = reply.choices[0]
    (call,) = choice.message.tool_calls or []
    assert choice.finish_reason == "tool_calls" and call.function.name == "get_weather"  # type: ignore[union-attr]
    assert set(json.loads(call.function.arguments)) == {"city", "unit"}  # type: ignore[union-attr]
    body = last_sent(mock)["body"]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    (declared,) = body["tools"]
    weather, clock = declared["functionDeclarations"]
    assert weather["parameters"]["type"] == "OBJECT"
    assert "additionalProperties" not in weather["parameters"]
    assert "parameters" not in clock  # Gemini refuses an OBJECT schema without properties
    # the tool result goes back as a functionResponse named after the call it answers
    history: list[Any] = [
        *HI,
        reply.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'},
    ]
    after = client.chat.completions.create(model="gem-m", messages=history, tools=TOOLS)
    assert after.choices[0].message.tool_calls  # the fake calls a tool again (auto)
    contents = last_sent(mock)["body"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"][0]["functionCall"]["name"] == "get_weather"
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}}
    ]
    # streamed parallel calls: whole calls, one after another
    with client.chat.completions.stream(model="gem-par", messages=HI, tools=TOOLS) as stream:
        final = stream.get_final_completion()
    names = [c.function.name for c in final.choices[0].message.tool_calls or []]
    assert names == ["get_weather", "get_time"] and final.choices[0].finish_reason == "tool_calls"


def test_chat_image_structured_output_and_refusals(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    client = oai(router)
    url = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()
    image: list[Any] = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "read"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]
    out = client.chat.completions.create(model="gem-m", messages=image)
    assert out.choices[0].message.content == "Rite Aid"
    parts = last_sent(mock)["body"]["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": url.split(",", 1)[1]}}
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER}}
    structured = client.chat.completions.create(model="gem-m", messages=HI, response_format=fmt)
    assert set(json.loads(structured.choices[0].message.content or "")) == {"city", "unit"}
    config = last_sent(mock)["body"]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"]["unit"] == {"type": "STRING", "enum": ["c", "f"]}
    for kwargs, words in (
        ({"n": 2}, "n > 1"),
        ({"tools": TOOLS, "parallel_tool_calls": False}, "parallel_tool_calls"),
        ({"logprobs": True}, "logprobs"),
    ):
        with pytest.raises(openai.BadRequestError, match=words):
            client.chat.completions.create(model="gem-m", messages=HI, **kwargs)
    http_image: list[Any] = [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}],
        }
    ]
    with pytest.raises(openai.BadRequestError, match="data URLs"):
        client.chat.completions.create(model="gem-m", messages=http_image)


@pytest.mark.parametrize(
    ("effort", "budget"),
    [("none", 0), (0, 0), (-1, -1), ("low", 4096), ("high", 24576), (50000, 32768)],
)
def test_chat_reasoning_budgets(stack: tuple[Mock, Router], effort: Any, budget: int) -> None:
    mock, router = stack
    client = oai(router)
    out = client.chat.completions.create(
        model="gem-m", messages=HI, max_tokens=256, extra_body={"reasoning_effort": effort}
    )
    config = last_sent(mock)["body"]["generationConfig"]
    assert config == {"maxOutputTokens": 256, "thinkingConfig": {"thinkingBudget": budget}}
    assert out.usage is not None
    thinking = budget != 0  # the fake thinks (8 tokens) unless the budget switches it off
    assert out.usage.completion_tokens == len(REPLY.split()) + (8 if thinking else 0)


def test_chat_stream_error_mid_stream_raises(stack: tuple[Mock, Router]) -> None:
    _, router = stack
    stream_cm = oai(router).chat.completions.stream(model="gem-err", messages=HI)
    with pytest.raises(openai.APIError, match="error mid-stream"), stream_cm as stream:
        list(stream)
    row = rows_for(router, "gem-err")[-1]
    assert row["error_class"] == "UpstreamError" and row["bridge_direction"] == "chatToGoogle"


def test_bad_provider_key_is_an_access_class_failure(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    with pytest.raises(openai.APIStatusError) as caught:
        oai(router).chat.completions.create(model="gem-bad", messages=HI)
    assert caught.value.status_code == 502
    assert "AuthFailed" in str(caught.value)
    assert mock.requests("gemini-bad")[-1]["status"] == 400  # Google: API_KEY_INVALID is a 400
    assert rows_for(router, "gem-bad")[-1]["error_class"] == "AuthFailed"


# ------------------------------------------------------------------ Gemini callers, native


def gemini(
    router: Router, path: str, body: dict[str, Any], prefix: str = "/v1beta"
) -> httpx.Response:
    return httpx.post(
        f"{router.url}{prefix}/models/{path}", json=body, headers={"x-goog-api-key": CALLER}
    )


def test_native_generate_and_stream(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    before = len(rows_for(router, "gem-m", 0))
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {"maxOutputTokens": 32, "thinkingConfig": {"thinkingBudget": -1}},
    }
    for prefix in ("/v1beta", "/v1"):
        resp = gemini(router, "gem-m:generateContent", body, prefix)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        assert data["candidates"][0]["content"]["parts"] == [{"text": REPLY}]
        assert data["usageMetadata"]["thoughtsTokenCount"] == 8
        sent = last_sent(mock)
        # the model moved into the path; the body went upstream as the caller wrote it
        assert sent["path"] == "/v1beta/models/gemini-m:generateContent" and sent["body"] == body
        assert sent["headers"]["x-goog-api-key"] == PROVIDER_KEY
    row = rows_for(router, "gem-m", before + 2)[-1]
    assert (row["inbound_skin"], row["target_skin"], row["bridge_direction"]) == (
        "google",
        "google",
        None,
    )
    meta = data["usageMetadata"]
    assert row["input_tokens"] == meta["promptTokenCount"]
    assert row["output_tokens"] == meta["candidatesTokenCount"] + meta["thoughtsTokenCount"]
    streamed = gemini(router, "gem-m:streamGenerateContent?alt=sse", body)
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = SSEParser().feed(streamed.content)
    chunks = [orjson.loads(e.data) for e in events]
    assert len(chunks) > 1
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == REPLY
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    row = rows_for(router, "gem-m", before + 3)[-1]
    assert row["stream"] is True and row["output_tokens"] == meta["candidatesTokenCount"] + 8


def test_native_refusals_in_googles_shape(stack: tuple[Mock, Router]) -> None:
    _, router = stack
    body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("gem-m:countTokens", body, 400),
        ("gem-m:streamGenerateContent", body, 400),  # only alt=sse is served
        ("gem-m:generateContent", {**body, "model": "x"}, 400),
        ("nope:generateContent", body, 404),
    ]
    for path, payload, status in cases:
        resp = gemini(router, path, payload)
        assert resp.status_code == status, path
        error = resp.json()["error"]
        assert error["code"] == status and isinstance(error["message"], str)
        assert error["status"] == {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[status]
    denied = httpx.post(f"{router.url}/v1beta/models/gem-m:generateContent", json=body)
    assert denied.status_code in (401, 403) and "error" in denied.json()


def test_native_upstream_refusal_of_unknown_fields(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "temperature": 0.2}
    resp = gemini(router, "gem-m:generateContent", body)
    assert resp.status_code == 400 and resp.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert mock.requests("gemini-m")[-1]["status"] == 400


def test_thought_signatures_round_trip_in_tool_call_ids(stack: tuple[Mock, Router]) -> None:
    """Gemini (3) refuses a continued conversation whose function calls lost their
    thoughtSignature; chatToGoogle carries it in the Chat tool-call id, which callers echo."""
    mock, router = stack
    client = oai(router)
    forced: Any = {"type": "function", "function": {"name": "get_weather"}}
    first = client.chat.completions.create(
        model="gem-m", messages=HI, tools=TOOLS, tool_choice=forced, reasoning_effort="low"
    )
    (call,) = first.choices[0].message.tool_calls or []
    assert "." in call.id  # call_<n>.<signature>
    result = {"role": "tool", "tool_call_id": call.id, "content": "sunny"}
    history: list[Any] = [*HI, first.choices[0].message.model_dump(exclude_none=True), result]
    after = client.chat.completions.create(
        model="gem-m", messages=history, tools=TOOLS, reasoning_effort="low"
    )
    assert after.choices[0].message.tool_calls
    model_turn = last_sent(mock)["body"]["contents"][1]
    assert model_turn["parts"][0]["thoughtSignature"] == call.id.split(".", 1)[1]
    # a caller that rewrote the id lost the signature: Gemini's 400 reaches it as BadRequest
    lost = [
        *HI,
        {**history[1], "tool_calls": [{**history[1]["tool_calls"][0], "id": "c1"}]},
        {**result, "tool_call_id": "c1"},
    ]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="gem-m", messages=lost, tools=TOOLS, reasoning_effort="low"
        )
