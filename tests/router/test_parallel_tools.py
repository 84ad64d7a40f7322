"""Parallel tool calls through a bridge are a need like any other bridge shape: a caller that
asks for them explicitly reaches a bridged target only where evidence proved them (natively
in a restricted group, through that bridge elsewhere). Natively, and without the ask, nothing
changes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import openai
import pytest

from switchyard.catalog import Capability, Dialect, SmokeRun
from switchyard.router.dialects import ADAPTERS

from .harness import (
    ALL_TASKS,
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_router,
)

CALLER = "sk-caller-parallel-4b1e"
PARALLEL = Capability.PARALLEL_TOOL_CALLS
WITHOUT = tuple(t for t in ALL_TASKS if t != "parallel-tools")
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
RESPONSES_TOOLS = [
    {"type": "function", "name": n, "parameters": SCHEMA} for n in ("get_weather", "get_time")
]
CHAT_TOOLS = [{"type": "function", "function": t} for t in RESPONSES_TOOLS]
MESSAGES_TOOLS = [{"name": t["name"], "input_schema": SCHEMA} for t in RESPONSES_TOOLS]
ANSWER = "two calls"


# -- the need, as each caller dialect's adapter derives it -------------------------------------
@pytest.mark.parametrize(
    ("dialect", "body", "needed"),
    [
        (Dialect.OPENAI_CHAT, {"tools": CHAT_TOOLS, "parallel_tool_calls": True}, True),
        (Dialect.OPENAI_CHAT, {"tools": CHAT_TOOLS}, False),  # absent: the default, no ask
        (Dialect.OPENAI_CHAT, {"tools": CHAT_TOOLS, "parallel_tool_calls": False}, False),
        (Dialect.OPENAI_CHAT, {"parallel_tool_calls": True}, False),  # no tools, no calls
        (Dialect.OPENAI_RESPONSES, {"tools": RESPONSES_TOOLS, "parallel_tool_calls": True}, True),
        (Dialect.OPENAI_RESPONSES, {"tools": [{"type": "web_search"}],
                                    "parallel_tool_calls": True}, False),  # hosted only
        (Dialect.ANTHROPIC, {"tools": MESSAGES_TOOLS, "tool_choice": {
            "type": "auto", "disable_parallel_tool_use": False}}, True),
        (Dialect.ANTHROPIC, {"tools": MESSAGES_TOOLS, "tool_choice": {"type": "auto"}}, False),
    ],
)  # fmt: skip
def test_only_an_explicit_ask_with_function_tools_is_the_need(
    dialect: Dialect, body: dict[str, Any], needed: bool
) -> None:
    needs = ADAPTERS[dialect].needs({"model": "g", "input": "x", **body}, 100, 10**6)
    assert (PARALLEL in needs.capabilities) is needed


# -- routing through a real router -------------------------------------------------------------
def bridge_run(provider_name: str, model: str, tasks: Sequence[str]) -> SmokeRun:
    """A completed router-layer run whose rows went through responsesToChat to the target."""
    rows = [
        {"task": t, "dialect": "openai-responses", "layer": "router", "result": "pass",
         "selectedUpstream": f"{provider_name}/{model}", "bridgeDirection": "responsesToChat"}
        for t in tasks
    ]  # fmt: skip
    return SmokeRun.model_validate(
        {
            "kind": "SmokeRun",
            "metadata": {"name": f"{provider_name}-{model}-bridge", "namespace": "t"},
            "spec": {"target": {"modelGroup": "smoke"}, "layer": "router"},
            "status": {
                "results": rows,
                "completedAt": datetime(2026, 11, 21, tzinfo=UTC).isoformat(),
                "conditions": [{"type": "Complete", "status": "True", "reason": "Done"}],
            },
        }
    )


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, mock_process: Mock) -> Iterator[Router]:
    # every model ref is served by the same upstream model, which makes parallel calls
    refs = {ref: "model-par" for ref in ("lacks", "proven", "bridged")}
    chat = provider("chat", mock_process.url + "/v1", models=refs,
                    bridges=["responsesToChat", "messagesToChat"])  # fmt: skip
    runs = [
        evidence(chat, "lacks", tasks=WITHOUT),
        evidence(chat, "proven"),
        evidence(chat, "bridged"),
        bridge_run("chat", "proven", ("text", "auto-tools")),
        bridge_run("chat", "bridged", ("text", "auto-tools", "parallel-tools")),
    ]
    groups = [
        G("smoke-lacks", [T("chat", "lacks")], restricted=True, max_attempts=1),
        G("smoke-proven", [T("chat", "proven")], restricted=True, max_attempts=1),
        G("open-lacks", [T("chat", "proven")], max_attempts=1),  # bridge evidence without it
        G("open-proven", [T("chat", "bridged")], max_attempts=1),
        G("native-lacks", [T("chat", "lacks")], max_attempts=1),
    ]
    keys = {**provider_keys("chat"), "smoke-lacks-callers": {"c": CALLER},
            "smoke-proven-callers": {"c": CALLER}}  # fmt: skip
    with run_router(tmp_path_factory.mktemp("parallel"), build([chat], groups, runs), keys) as r:
        yield r


@pytest.fixture
def upstream(mock_process: Mock) -> Mock:
    mock_process.scenario({"defaults": {"apiKey": PROVIDER_KEY, "reply": ANSWER},
                           "models": {"model-par": {"parallelToolCalls": True}}})  # fmt: skip
    return mock_process


def responses(router: Router, group: str, **fields: Any) -> httpx.Response:
    body = {"model": group, "input": "Weather in Paris and time in Tokyo?",
            "tools": RESPONSES_TOOLS, **fields}  # fmt: skip
    headers = {"Authorization": f"Bearer {CALLER}"}
    return httpx.post(f"{router.v1}/responses", json=body, headers=headers, timeout=30)


def calls(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [i["name"] for i in r.json()["output"] if i["type"] == "function_call"]


def refused_for_parallel(r: httpx.Response) -> None:
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "NoEligibleTarget"
    assert "not proven on bridge:responsesToChat: parallelToolCalls" in error["message"]


def test_bridged_ask_without_evidence_is_refused_naming_the_need(
    router: Router, upstream: Mock
) -> None:
    refused_for_parallel(responses(router, "smoke-lacks", parallel_tool_calls=True))
    refused_for_parallel(responses(router, "open-lacks", parallel_tool_calls=True))
    assert upstream.count("model-par") == 0  # nothing went upstream


def test_bridged_ask_with_evidence_is_served_with_parallel_calls(
    router: Router, upstream: Mock
) -> None:
    """Restricted: the target's native proof; open: the proof through responsesToChat. The
    official SDK as the caller."""
    client = openai.OpenAI(base_url=router.v1, api_key=CALLER, max_retries=0)
    for group in ("smoke-proven", "open-proven"):
        reply = client.responses.create(
            model=group, input="Weather and time?", tools=RESPONSES_TOOLS, parallel_tool_calls=True
        )  # type: ignore[arg-type]
        got = [i.name for i in reply.output if i.type == "function_call"]
        assert got == ["get_weather", "get_time"], group
    sent = upstream.requests("model-par")
    assert [r["path"] for r in sent] == ["/v1/chat/completions"] * 2
    assert all(r["body"]["parallel_tool_calls"] is True for r in sent)


def test_without_the_ask_a_bridged_tool_request_needs_no_parallel_evidence(
    router: Router, upstream: Mock
) -> None:
    """OpenAI's default is parallel: gating the absent field would refuse every bridged tool
    request. parallel_tool_calls false is honoured upstream (one call)."""
    assert calls(responses(router, "smoke-lacks")) == ["get_weather", "get_time"]
    assert calls(responses(router, "open-lacks")) == ["get_weather", "get_time"]
    assert calls(responses(router, "smoke-lacks", parallel_tool_calls=False)) == ["get_weather"]


def test_native_callers_are_judged_as_before(router: Router, upstream: Mock) -> None:
    """A Chat caller of a Chat target: its own parallel_tool_calls reaches the target as sent,
    so the target needs no parallel-tools evidence."""
    body = {"model": "native-lacks", "messages": [{"role": "user", "content": "both"}],
            "tools": CHAT_TOOLS, "parallel_tool_calls": True}  # fmt: skip
    r = httpx.post(f"{router.v1}/chat/completions", json=body, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["x-switchyard-upstream"] == "chat/lacks"
    assert len(r.json()["choices"][0]["message"]["tool_calls"]) == 2


def test_messages_callers_ask_with_disable_parallel_tool_use_false(
    router: Router, upstream: Mock
) -> None:
    def messages(choice: dict[str, Any]) -> httpx.Response:
        body = {"model": "smoke-lacks", "max_tokens": 64, "tools": MESSAGES_TOOLS,
                "messages": [{"role": "user", "content": "both"}], "tool_choice": choice}  # fmt: skip
        return httpx.post(f"{router.v1}/messages", json=body,
                          headers={"x-api-key": CALLER}, timeout=30)  # fmt: skip

    asked = messages({"type": "auto", "disable_parallel_tool_use": False})
    assert asked.status_code == 400, asked.text
    assert "not proven on bridge:messagesToChat: parallelToolCalls" in asked.text
    single = messages({"type": "auto", "disable_parallel_tool_use": True})
    assert single.status_code == 200, single.text
    assert [b["name"] for b in single.json()["content"] if b["type"] == "tool_use"] == [
        "get_weather"
    ]
