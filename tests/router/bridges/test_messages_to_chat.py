"""messagesToChat: Anthropic requests on a Chat upstream, and Chat answers read back."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import BridgeDirection
from switchyard.router.bridges import BridgeContext, BridgeUpstreamFailed, get_bridge
from switchyard.wire import RequestRefused

from .conftest import make_ctx

BRIDGE = get_bridge(BridgeDirection.MESSAGES_TO_CHAT)


def test_multi_turn_tools_and_images(ctx: BridgeContext) -> None:
    body = {
        "model": "g",
        "max_tokens": 512,
        "system": [
            {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
        ],
        "stop_sequences": ["END"],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image, and the weather?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "text", "text": "Checking."},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "18C"}],
                    },
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
        "tools": [{"name": "get_weather", "description": "w", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "metadata": {"user_id": "u-1"},
    }
    out = BRIDGE.request(body, ctx)
    assert out["messages"] == [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image, and the weather?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
            ],
        },
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {"role": "user", "content": "Thanks"},
    ]
    assert out["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "w",
                "parameters": {"type": "object"},
            },
        }
    ]
    assert out["tool_choice"] == "required" and out["parallel_tool_calls"] is False
    assert out["stop"] == ["END"] and out["max_tokens"] == 512
    assert "metadata" not in out and "user" not in out  # caller identifiers stay here


def test_thinking_budget_becomes_the_targets_control() -> None:
    body = {
        "model": "g",
        "max_tokens": 9000,
        "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    assert BRIDGE.request(body, make_ctx("openai-effort"))["reasoning_effort"] == "low"
    with pytest.raises(RequestRefused, match="not proven"):
        BRIDGE.request(body, make_ctx(None))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "server tool"),
        ({"top_k": 5}, "top_k"),
        (
            {"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]},
            "document",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": "t",
                                "content": [{"type": "image"}],
                            }
                        ],
                    }
                ]
            },
            "image",
        ),
        (
            {"messages": [{"role": "tool", "content": "x"}]},
            "role must be user, assistant or system",
        ),
        ({"top_k": 5, "container": "c"}, r"container \(code-execution.*top_k \(Chat"),
        ({"x_new_field": 1}, "x_new_field \\(unknown field"),
    ],
)
def test_refusals(ctx: BridgeContext, extra: dict[str, Any], message: str) -> None:
    body = {
        "model": "g",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        **extra,
    }
    with pytest.raises(RequestRefused, match=message):
        BRIDGE.request(body, ctx)


@pytest.mark.parametrize(
    ("finish", "stop_reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
    ],
)
def test_stop_reasons(ctx: BridgeContext, finish: str, stop_reason: str) -> None:
    upstream = {
        "choices": [
            {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": "x"}}
        ]
    }
    assert BRIDGE.response(upstream, ctx)["stop_reason"] == stop_reason


def test_response_tools_and_usage(ctx: BridgeContext) -> None:
    upstream = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a": [1, 2]}'},
                        },
                        {
                            "id": "call_2",
                            "type": "function",
                            "function": {"name": "g", "arguments": "{}"},
                        },
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": 30,
            "completion_tokens": 7,
            "total_tokens": 37,
            "prompt_tokens_details": {"cached_tokens": 10},
        },
    }
    out = BRIDGE.response(upstream, ctx)
    assert out["type"] == "message" and out["model"] == "group-a"
    assert out["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": [1, 2]}},
        {"type": "tool_use", "id": "call_2", "name": "g", "input": {}},
    ]
    assert out["usage"] == {
        "input_tokens": 20,
        "output_tokens": 7,
        "cache_read_input_tokens": 10,
        "cache_creation_input_tokens": 0,
    }


def test_broken_tool_arguments_are_an_upstream_failure(ctx: BridgeContext) -> None:
    upstream = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a":'},
                        }
                    ]
                },
            }
        ]
    }
    with pytest.raises(BridgeUpstreamFailed):
        BRIDGE.response(upstream, ctx)
