"""One meaning everywhere (issue 10): the same upstream usage is booked the same whether the
caller streamed or not, natively or through a bridge; a malformed upstream stream is a
BadResponse with the caller's error event, natively and bridged, in one shape per dialect."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest

from switchyard.catalog import Dialect
from switchyard.wire import SSEParser

from .harness import G, Mock, T, build, evidence, provider, provider_keys, run_router

CALLER = "sk-caller-wire-agreement"
CACHED = 100
MSG = [{"role": "user", "content": "hi"}]


def _config(mock: Mock):  # type: ignore[no-untyped-def]
    anth = provider(
        "anth",
        mock.url + "/v1",
        Dialect.ANTHROPIC,
        auth="x-api-key",
        models={"m": "anth-cached", "bad": "anth-bad"},
        bridges=["chatToMessages"],
    )
    chat = provider("chat", mock.url + "/v1", models={"bad": "chat-bad"})  # fmt: skip
    groups = [G("anth", [T("anth")], restricted=True), G("anth-bad", [T("anth", "bad")], restricted=True),
              G("chat-bad", [T("chat", "bad")], restricted=True)]  # fmt: skip
    runs = [evidence(anth, "m", reasoning="anthropic-budget"),
            evidence(anth, "bad", reasoning="anthropic-budget"), evidence(chat, "bad")]  # fmt: skip
    secrets = {
        **provider_keys("anth", "chat"),
        **{f"{g.name}-callers": {"c": CALLER} for g in groups},
    }
    return build([anth, chat], groups, runs), secrets


@pytest.fixture
def scenario(mock: Mock) -> Mock:
    broken = {"midStream": {"afterEvents": 3, "mode": "malformed"}}
    mock.scenario({"models": {"anth-cached": {"cachedTokens": CACHED}, "anth-bad": broken,
                              "chat-bad": broken}})  # fmt: skip
    return mock


def test_usage_has_one_meaning_on_every_path(tmp_path: Path, scenario: Mock) -> None:
    config, secrets = _config(scenario)
    with run_router(tmp_path, config, secrets) as router:
        ant = anthropic.Anthropic(base_url=router.url, api_key=CALLER, max_retries=0)
        oai = openai.OpenAI(base_url=router.v1, api_key=CALLER, max_retries=0)
        native = ant.messages.create(model="anth", max_tokens=64, messages=MSG)  # type: ignore[arg-type]
        with ant.messages.stream(model="anth", max_tokens=64, messages=MSG) as s:  # type: ignore[arg-type]
            s.get_final_message()
        bridged = oai.chat.completions.create(model="anth", messages=MSG)  # type: ignore[arg-type]
        list(oai.chat.completions.create(model="anth", messages=MSG, stream=True,  # type: ignore[call-overload]
                                         stream_options={"include_usage": True}))  # fmt: skip
        rows = router.wait_usage_rows(4)
    total = native.usage.input_tokens + CACHED  # Anthropic's input excludes cache reads
    assert native.usage.cache_read_input_tokens == CACHED  # the caller sees Anthropic's own fields
    assert bridged.usage is not None and bridged.usage.prompt_tokens_details is not None
    assert bridged.usage.prompt_tokens_details.cached_tokens == CACHED
    bridged_total = bridged.usage.prompt_tokens  # Chat's prompt tokens include cache reads
    output = native.usage.output_tokens
    booked = {
        (r["stream"], r["bridge_direction"], r["input_tokens"], r["output_tokens"]) for r in rows
    }
    assert booked == {
        (False, None, total, output),
        (True, None, total, output),
        (False, "chatToMessages", bridged_total, output),
        (True, "chatToMessages", bridged_total, output),
    }


def _chat_error_chunk(router_v1: str, group: str) -> dict[str, Any]:
    """The error chunk that ends a Chat caller's stream (raw SSE, as any client reads it)."""
    body = {"model": group, "messages": MSG, "stream": True}
    headers = {"Authorization": f"Bearer {CALLER}"}
    reply = httpx.post(router_v1 + "/chat/completions", json=body, headers=headers, timeout=30)
    assert reply.status_code == 200
    events = SSEParser().feed(reply.content) + SSEParser().flush()
    errors = [orjson.loads(e.data) for e in events if e.data.startswith('{"error"')]
    assert len(errors) == 1, reply.text
    # nothing malformed was passed on: every event the caller got is valid JSON or [DONE]
    for e in events:
        assert e.data == "[DONE]" or isinstance(orjson.loads(e.data), dict)
    error: dict[str, Any] = errors[0]["error"]
    return error


def test_malformed_streams_are_bad_responses_with_one_error_shape(
    tmp_path: Path, scenario: Mock
) -> None:
    config, secrets = _config(scenario)
    with run_router(tmp_path, config, secrets) as router:
        native = _chat_error_chunk(router.v1, "chat-bad")  # Chat upstream, relayed
        bridged = _chat_error_chunk(router.v1, "anth-bad")  # Messages upstream, translated
        ant = anthropic.Anthropic(base_url=router.url, api_key=CALLER, max_retries=0)
        stream = ant.messages.stream(model="anth-bad", max_tokens=64, messages=MSG)  # type: ignore[arg-type]
        with pytest.raises(anthropic.APIStatusError) as info, stream as s:
            s.get_final_message()
        rows = router.wait_usage_rows(3)
        metrics = router.metrics()
    assert native["code"] == bridged["code"] == "BadResponse"
    assert native["type"] == bridged["type"] == "server_error"
    assert info.value.body == {"type": "error", "error": {
        "type": "api_error", "message": "upstream request failed (BadResponse)"}}  # fmt: skip
    assert [(r["status"], r["error_class"]) for r in rows] == [(200, "BadResponse")] * 3
    # the gates see a broken upstream as an error, never as ok
    assert 'outcome="ok"' not in "\n".join(
        line for line in metrics.splitlines() if 'group="chat-bad"' in line and "requests" in line
    )


@pytest.mark.parametrize("how", ["truncated", "array", "wrong-types"])
def test_malformed_replies_fall_back_and_count_toward_ejection(
    tmp_path: Path, mock: Mock, how: str
) -> None:
    mock.scenario({"models": {"chat-broken": {"malformedReply": how}}})
    bad = provider("bad", mock.url + "/v1", models={"m": "chat-broken"})
    good = provider("good", mock.url + "/v1", models={"m": "chat-good"})
    groups = [G("g", [T("bad", weight=1000), T("good", weight=1)], max_attempts=2)]
    config = build([bad, good], groups, [evidence(bad), evidence(good)])
    with run_router(tmp_path, config, provider_keys("bad", "good")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="any", max_retries=0)
        for _ in range(6):
            raw = oai.chat.completions.with_raw_response.create(model="g", messages=MSG)  # type: ignore[arg-type]
            assert raw.parse().choices[0].message.content == "OK"
            assert raw.headers["x-switchyard-upstream"] == "good/m"
        rows = router.wait_usage_rows(6)
        metrics = router.metrics()
    assert {(r["status"], r["error_class"], r["provider"]) for r in rows} == {(200, None, "good")}
    assert any(r["fallback"] for r in rows)
    bad_errors = [ln for ln in metrics.splitlines()
                  if ln.startswith("switchyard_request_errors_total") and 'provider="bad"' in ln]  # fmt: skip
    assert bad_errors and 'error_class="BadResponse"' in bad_errors[0]
    assert re.search(r'switchyard_ejections_total\{[^}]*provider="bad"[^}]*\} [1-9]', metrics)
