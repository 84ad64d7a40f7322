"""The bridges' field policy (bridges/policy.py) and the request shapes real agents send:
Codex (client_metadata, namespace tools, custom tools) and Claude Code (context_management,
output_config, adaptive thinking, mid-conversation system turns)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from switchyard.catalog import BridgeDirection, Capability, Dialect
from switchyard.router.bridges import BRIDGES, BridgeContext, get_bridge
from switchyard.router.bridges.policy import POLICIES, Rule, markdown_table
from switchyard.router.dialects import ADAPTERS
from switchyard.wire import RequestRefused, SSEEvent, SSEParser

from .conftest import make_ctx
from .stack import CALLER, Stack

R2C = get_bridge(BridgeDirection.RESPONSES_TO_CHAT)
M2C = get_bridge(BridgeDirection.MESSAGES_TO_CHAT)
C2R = get_bridge(BridgeDirection.CHAT_TO_RESPONSES)
C2M = get_bridge(BridgeDirection.CHAT_TO_MESSAGES)

CODEX_TOOLS: list[dict[str, Any]] = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
    {
        "type": "namespace",
        "name": "multi_agent_v1",
        "description": "agents",
        "tools": [
            {"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}},
            {"type": "function", "name": "wait_agent", "parameters": {"type": "object"}},
        ],
    },
    {"type": "custom", "name": "apply_patch", "description": "patch", "format": {"type": "text"}},
]


def codex_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "g",
        "stream": False,
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "d"}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        ],
        "tools": CODEX_TOOLS,
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"summary": "auto"},
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "k",
        "client_metadata": {"x-codex-turn-metadata": "{}"},
        **extra,
    }


def test_every_bridge_has_a_policy_and_a_reason_per_field() -> None:
    assert set(POLICIES) == set(BRIDGES), "a new bridge needs its field policy (policy.py)"
    for policy in POLICIES.values():
        assert policy.unknown is Rule.REFUSE
        assert {"model", "stream"} <= set(policy.fields)
        assert all(f.why for f in policy.fields.values())


def test_policy_drops_refuses_and_ignores_nulls() -> None:
    policy = POLICIES[BridgeDirection.RESPONSES_TO_CHAT]
    assert policy.apply({"model": "g", "metadata": {"a": "b"}, "store": True}) == [
        "metadata",
        "store",
    ]
    assert policy.apply({"model": "g", "conversation": None}) == []
    with pytest.raises(RequestRefused) as caught:
        policy.apply({"model": "g", "conversation": "c", "brand_new": 1})
    text = str(caught.value)
    assert "brand_new (unknown field" in text and "conversation (stored conversations" in text


def test_codex_request_through_responses_to_chat() -> None:
    ctx = make_ctx("openai-effort")
    out = R2C.request(codex_body(), ctx)
    assert sorted(ctx.dropped) == sorted(
        ["client_metadata", "include", "prompt_cache_key", "store", "reasoning.summary"]
    )
    names = [t["function"]["name"] for t in out["tools"]]
    assert names == ["exec_command", "spawn_agent", "wait_agent", "apply_patch"]
    patch = out["tools"][3]["function"]
    assert patch["parameters"]["required"] == ["input"]
    assert "client_metadata" not in out and "include" not in out
    assert out["messages"][0] == {"role": "system", "content": "d"}


def test_namespace_name_clash_is_prefixed_and_mapped_back() -> None:
    tools = [
        {"type": "function", "name": "run", "parameters": {"type": "object"}},
        {"type": "namespace", "name": "ns", "tools": [{"type": "function", "name": "run"}]},
    ]
    ctx = make_ctx()
    out = R2C.request({"model": "g", "input": "hi", "tools": tools}, ctx)
    assert [t["function"]["name"] for t in out["tools"]] == ["run", "ns__run"]
    reply = chat_reply([("call_1", "ns__run", '{"a":1}')])
    item = R2C.response(reply, ctx)["output"][0]
    assert item["type"] == "function_call"
    assert (item["name"], item["namespace"], item["arguments"]) == ("run", "ns", '{"a":1}')


def chat_reply(calls: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "up",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                        for i, n, a in calls
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }


def test_namespace_and_custom_calls_go_back_in_the_callers_shape() -> None:
    ctx = make_ctx()
    R2C.request(codex_body(), ctx)
    reply = chat_reply(
        [
            ("call_a", "spawn_agent", '{"task":"x"}'),
            ("call_b", "apply_patch", orjson.dumps({"input": "*** Begin Patch"}).decode()),
        ]
    )
    spawn, patch = R2C.response(reply, ctx)["output"]
    assert spawn["name"] == "spawn_agent" and spawn["namespace"] == "multi_agent_v1"
    assert patch["type"] == "custom_tool_call" and patch["input"] == "*** Begin Patch"
    assert patch["call_id"] == "call_b" and patch["name"] == "apply_patch"


def test_namespace_and_custom_calls_stream_in_the_callers_shape() -> None:
    ctx = make_ctx()
    R2C.request(codex_body(stream=True), ctx)
    translator = R2C.stream(ctx)
    args = orjson.dumps({"input": "line one\nline two"}).decode()
    chunks: list[dict[str, Any]] = [
        {"index": 0, "id": "call_a", "function": {"name": "spawn_agent", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"task":'}},
        {"index": 0, "function": {"arguments": '"x"}'}},
        {"index": 1, "id": "call_b", "function": {"name": "apply_patch", "arguments": args[:9]}},
        {"index": 1, "function": {"arguments": args[9:]}},
    ]
    raw = b""
    for call in chunks:
        delta = {"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}
        raw += translator.feed(SSEEvent(orjson.dumps(delta).decode()))
    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    raw += translator.feed(SSEEvent(orjson.dumps(end).decode()))
    raw += translator.finish()
    events = [e.json() for e in SSEParser().feed(raw)]
    kinds = [e["type"] for e in events]
    assert "response.custom_tool_call_input.done" in kinds
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done[0]["namespace"] == "multi_agent_v1" and done[0]["arguments"] == '{"task":"x"}'
    assert done[1] == {
        "id": done[1]["id"],
        "type": "custom_tool_call",
        "status": "completed",
        "call_id": "call_b",
        "name": "apply_patch",
        "input": "line one\nline two",
    }
    final = events[-1]["response"]["output"]
    assert [i["type"] for i in final] == ["function_call", "custom_tool_call"]


def test_custom_and_namespace_history_reach_chat_as_function_calls() -> None:
    ctx = make_ctx()
    history = [
        {"type": "message", "role": "user", "content": "go"},
        {"type": "function_call", "call_id": "c1", "name": "spawn_agent",
         "namespace": "multi_agent_v1", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "spawned"},
        {"type": "custom_tool_call", "call_id": "c2", "name": "apply_patch", "input": "P"},
        {"type": "custom_tool_call_output", "call_id": "c2", "output": "applied"},
    ]  # fmt: skip
    out = R2C.request({"model": "g", "input": history, "tools": CODEX_TOOLS}, ctx)
    calls = [m for m in out["messages"] if m["role"] == "assistant"]
    fns = [c["function"] for m in calls for c in m["tool_calls"]]
    assert fns == [
        {"name": "spawn_agent", "arguments": "{}"},
        {"name": "apply_patch", "arguments": '{"input":"P"}'},
    ]
    tools = [m["content"] for m in out["messages"] if m["role"] == "tool"]
    assert tools == ["spawned", "applied"]


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([{"type": "custom", "name": "g", "format": {"type": "grammar", "syntax": "lark",
           "definition": "start: x"}}], "grammar-constrained"),
        ([{"type": "web_search"}], "hosted tool 'web_search'"),
        ([{"type": "namespace", "name": "n", "tools": [{"type": "file_search"}]}],
         "hosted tool 'file_search'"),
    ],
)  # fmt: skip
def test_tools_a_chat_upstream_cannot_serve_are_refused(
    tools: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(RequestRefused, match=message):
        R2C.request({"model": "g", "input": "hi", "tools": tools}, make_ctx())


def test_responses_needs_count_namespace_members_not_the_namespace() -> None:
    adapter = ADAPTERS[Dialect.OPENAI_RESPONSES]
    needs = adapter.needs({"model": "g", "input": "x", "tools": CODEX_TOOLS}, 10, 10**6)
    assert Capability.TOOLS in needs.capabilities and not needs.hosted_tools
    hosted = [{"type": "namespace", "name": "n", "tools": [{"type": "file_search"}]}]
    needs = adapter.needs({"model": "g", "input": "x", "tools": hosted}, 10, 10**6)
    assert needs.hosted_tools == frozenset({"file_search"})


def claude_code_body(**extra: Any) -> dict[str, Any]:
    system_turn = {"role": "system", "content": [{"type": "text", "text": "reminder"}]}
    return {
        "model": "g",
        "max_tokens": 32000,
        "stream": True,
        "system": [
            {"type": "text", "text": "billing header"},
            {"type": "text", "text": "You are an agent.", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "ctx"}, {"type": "text", "text": "hi"}]},
            system_turn,
        ],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
        "metadata": {"user_id": "{}"},
        "thinking": {"type": "adaptive", "display": "omitted"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
        **extra,
    }  # fmt: skip


def test_claude_code_request_through_messages_to_chat() -> None:
    ctx = make_ctx("openai-effort")
    out = M2C.request(claude_code_body(), ctx)
    assert sorted(ctx.dropped) == ["context_management", "metadata"]
    roles = [m["role"] for m in out["messages"]]
    assert roles == ["system", "user", "system"]
    assert out["messages"][2]["content"] == "reminder"
    assert out["reasoning_effort"] == "high"  # adaptive thinking at the caller's effort


def test_output_effort_max_and_without_thinking() -> None:
    ctx = make_ctx("openai-effort")
    out = M2C.request(claude_code_body(output_config={"effort": "max"}), ctx)
    assert out["reasoning_effort"] == "xhigh"
    ctx = make_ctx("openai-effort")
    body = claude_code_body(thinking=None, output_config={"effort": "low", "task_budget": {}})
    out = M2C.request(body, ctx)
    assert "reasoning_effort" not in out
    assert {"output_config.effort", "output_config.task_budget"} <= set(ctx.dropped)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}},
         "clear_tool_uses_20250919"),
        ({"output_config": {"format": {"type": "json_schema", "schema": {}}}},
         r"output_config\.format"),
        ({"output_config": {"effort": "extreme"}}, "output_config.effort must be one of"),
        ({"inference_geo": "us"}, "inference_geo"),
        ({"mcp_servers": [{"type": "url", "url": "https://example.invalid"}]}, "mcp_servers"),
    ],
)  # fmt: skip
def test_claude_code_shapes_that_cannot_be_honoured(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestRefused, match=message):
        M2C.request(claude_code_body(**extra), make_ctx("openai-effort"))


def test_chat_bridges_drop_metadata_and_refuse_penalties() -> None:
    body: dict[str, Any] = {
        "model": "g",
        "messages": [{"role": "user", "content": "hi"}],
        "metadata": {"a": "b"},
        "prompt_cache_key": "k",
    }
    for bridge in (C2R, C2M):
        ctx: BridgeContext = make_ctx()
        out = bridge.request(body, ctx)
        assert ctx.dropped == ["metadata", "prompt_cache_key"]
        assert "prompt_cache_key" not in out
        with pytest.raises(RequestRefused, match="frequency_penalty"):
            bridge.request({**body, "frequency_penalty": 0.5}, make_ctx())


def test_docs_show_the_policy_tables() -> None:
    doc = (Path(__file__).parents[3] / "docs" / "bridges.md").read_text()
    for policy in POLICIES.values():
        assert markdown_table(policy) in doc, f"docs/bridges.md is stale for {policy.direction}"


def test_router_refuses_in_the_callers_skin_and_counts_drops(stack: Stack) -> None:
    url = f"{stack.router.v1}/messages"
    headers = {"x-api-key": CALLER, "anthropic-version": "2023-06-01"}
    body = {"model": "chat-m", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    before = stack.mock.count("chat-m")
    refused = httpx.post(url, headers=headers, json={**body, "container": "c", "top_k": 3})
    assert refused.status_code == 400
    error = refused.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert "container (code-execution containers live at Anthropic)" in error["error"]["message"]
    assert "top_k (Chat Completions has no top_k)" in error["error"]["message"]
    assert stack.mock.count("chat-m") == before  # nothing went upstream
    served = httpx.post(url, headers=headers, json={**body, "metadata": {"user_id": "u"}})
    assert served.status_code == 200, served.text
    assert "user_id" not in orjson.dumps(stack.upstream("chat-m")[-1]["body"]).decode()
    stack.router.wait_metric(
        r'switchyard_bridge_dropped_fields_total\{bridge_direction="messagesToChat",'
        r'field="metadata"\} [1-9]'
    )


# Top-level request fields of each skin's official API reference (OpenAI "Create chat
# completion" and "Create a model response", Anthropic "Create a Message" with its beta
# parameters), as of the pinned clients. Every one must have a deliberate rule.
REFERENCE: dict[str, frozenset[str]] = {
    "chat": frozenset(
        [
            "messages",
            "model",
            "audio",
            "frequency_penalty",
            "function_call",
            "functions",
            "logit_bias",
            "logprobs",
            "max_completion_tokens",
            "max_tokens",
            "metadata",
            "modalities",
            "n",
            "parallel_tool_calls",
            "prediction",
            "presence_penalty",
            "prompt_cache_key",
            "prompt_cache_retention",
            "reasoning_effort",
            "response_format",
            "safety_identifier",
            "seed",
            "service_tier",
            "stop",
            "store",
            "stream",
            "stream_options",
            "temperature",
            "tool_choice",
            "tools",
            "top_logprobs",
            "top_p",
            "user",
            "verbosity",
            "web_search_options",
        ]
    ),
    "responses": frozenset(
        [
            "background",
            "context_management",
            "conversation",
            "include",
            "input",
            "instructions",
            "max_output_tokens",
            "max_tool_calls",
            "metadata",
            "model",
            "parallel_tool_calls",
            "previous_response_id",
            "prompt",
            "prompt_cache_key",
            "prompt_cache_retention",
            "reasoning",
            "safety_identifier",
            "service_tier",
            "store",
            "stream",
            "stream_options",
            "temperature",
            "text",
            "tool_choice",
            "tools",
            "top_logprobs",
            "top_p",
            "truncation",
            "user",
        ]
    ),
    "messages": frozenset(
        [
            "model",
            "messages",
            "max_tokens",
            "cache_control",
            "container",
            "context_management",
            "diagnostics",
            "fallback_credit_token",
            "fallbacks",
            "inference_geo",
            "mcp_servers",
            "metadata",
            "output_config",
            "output_format",
            "service_tier",
            "speed",
            "stop_sequences",
            "stream",
            "system",
            "temperature",
            "thinking",
            "tool_choice",
            "tools",
            "top_k",
            "top_p",
            "user_profile_id",
        ]
    ),
}
INBOUND_OF = {
    BridgeDirection.RESPONSES_TO_CHAT: "responses",
    BridgeDirection.MESSAGES_TO_CHAT: "messages",
    BridgeDirection.CHAT_TO_RESPONSES: "chat",
    BridgeDirection.CHAT_TO_MESSAGES: "chat",
}


@pytest.mark.parametrize("direction", list(INBOUND_OF))
def test_every_reference_field_has_a_rule(direction: BridgeDirection) -> None:
    missing = REFERENCE[INBOUND_OF[direction]] - set(POLICIES[direction].fields)
    assert not missing, f"{direction.value}: no rule for {sorted(missing)}"


@pytest.mark.parametrize("stream", [False, True])
def test_namespace_and_custom_tools_through_a_real_router(stack: Stack, stream: bool) -> None:
    """The official openai SDK on /v1/responses, a Chat upstream behind responsesToChat that
    calls the first tool it is offered: a namespace member, then a custom tool."""
    oai = openai.OpenAI(base_url=stack.router.v1, api_key=CALLER, max_retries=0)
    for tools, kind in ((CODEX_TOOLS[1:], "function_call"), (CODEX_TOOLS[2:], "custom_tool_call")):
        final: Any
        if stream:
            with oai.responses.stream(model="chat-m", input="go", tools=tools) as s:  # type: ignore[arg-type]
                final = s.get_final_response()
        else:
            final = oai.responses.create(model="chat-m", input="go", tools=tools)  # type: ignore[arg-type]
        item = final.output[0].model_dump()
        assert item["type"] == kind, item
        sent = stack.upstream("chat-m")[-1]["body"]
        names = [t["function"]["name"] for t in sent["tools"]]
        if kind == "function_call":
            assert (item["name"], item["namespace"]) == ("spawn_agent", "multi_agent_v1")
            assert names == ["spawn_agent", "wait_agent", "apply_patch"]
        else:
            assert item["name"] == "apply_patch" and item["input"] == "OK"  # the fake's string
            assert names == ["apply_patch"]


def test_deferred_tools_join_once_a_tool_search_loaded_them() -> None:
    """Claude Code (known model names) sends a defer_loading tool and a client ToolSearch
    that answers with tool_reference blocks; Chat sees a deferred tool only once loaded."""
    tools = [
        {"name": "ToolSearch", "input_schema": {"type": "object"}},
        {"name": "Deferred", "input_schema": {"type": "object"}, "defer_loading": True},
    ]
    first = M2C.request(claude_code_body(tools=tools), make_ctx("openai-effort"))
    assert [t["function"]["name"] for t in first["tools"]] == ["ToolSearch"]
    history = [
        {"role": "user", "content": "find it"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "ToolSearch", "input": {"q": "d"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "tool_reference", "tool_name": "Deferred"}]}]},
    ]  # fmt: skip
    later = M2C.request(claude_code_body(tools=tools, messages=history), make_ctx("openai-effort"))
    assert [t["function"]["name"] for t in later["tools"]] == ["ToolSearch", "Deferred"]
    result = next(m for m in later["messages"] if m["role"] == "tool")
    assert result["content"] == "[tool Deferred loaded]"
