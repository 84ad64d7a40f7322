"""chatToMessages: Chat requests on an Anthropic upstream, and Messages answers read back."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import BridgeDirection
from switchyard.router.bridges import BridgeContext, get_bridge
from switchyard.router.bridges.chat_to_messages import DEFAULT_MAX_TOKENS
from switchyard.wire import RequestRefused

from .conftest import make_ctx

BRIDGE = get_bridge(BridgeDirection.CHAT_TO_MESSAGES)


def test_request(ctx: BridgeContext) -> None:
    body = {
        "model": "g",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use tools."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                ],
            },
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    {
                        "id": "functions.get_weather:0",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": ""},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "functions.get_weather:0", "content": "18C"},
            {
                "role": "tool",
                "tool_call_id": "call_2",
                "content": [{"type": "text", "text": "noon"}],
            },
            {"role": "user", "content": "thanks"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "w",
                    "parameters": {"type": "object"},
                },
            }
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "stop": "END",
        "temperature": 0.2,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    out = BRIDGE.request(body, ctx)
    assert out["system"] == "Be brief.\n\nUse tools."
    assert out["max_tokens"] == DEFAULT_MAX_TOKENS
    assert out["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {
                    "type": "tool_use",
                    "id": "functions_get_weather_0",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
                {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [  # consecutive tool results and the next user turn merge
                {"type": "tool_result", "tool_use_id": "functions_get_weather_0", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "noon"},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]
    assert out["tools"] == [
        {"name": "get_weather", "description": "w", "input_schema": {"type": "object"}}
    ]
    assert out["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert out["stop_sequences"] == ["END"] and out["temperature"] == 0.2 and out["stream"] is True
    assert "stream_options" not in out


def test_reasoning_budget_fits_under_the_cap() -> None:
    body = {
        "model": "g",
        "max_tokens": 5000,
        "messages": [{"role": "user", "content": "hi"}],
        "reasoning_effort": "high",
    }
    out = BRIDGE.request(body, make_ctx("anthropic-budget"))
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 4999}
    with pytest.raises(RequestRefused, match="max_tokens above 1024"):
        BRIDGE.request({**body, "max_tokens": 600}, make_ctx("anthropic-budget"))
    with pytest.raises(RequestRefused, match="temperature"):
        BRIDGE.request({**body, "temperature": 0.3}, make_ctx("anthropic-budget"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"temperature": 1.5}, "between 0 and 1"),
        ({"n": 3}, "n > 1"),
        ({"response_format": {"type": "json_schema", "json_schema": {}}}, "structured output"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}],
                    }
                ]
            },
            "http",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": "c", "function": {"name": "f", "arguments": "{oops"}}
                        ],
                    }
                ]
            },
            "not valid JSON",
        ),
    ],
)
def test_refusals(ctx: BridgeContext, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestRefused, match=message):
        BRIDGE.request(
            {"model": "g", "messages": [{"role": "user", "content": "hi"}], **extra}, ctx
        )


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ],
)
def test_response(ctx: BridgeContext, stop_reason: str, finish: str) -> None:
    upstream = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [
            {"type": "thinking", "thinking": "...", "signature": "s"},
            {"type": "text", "text": "Hi"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
        ],
        "stop_reason": stop_reason,
        "usage": {
            "input_tokens": 5,
            "output_tokens": 2,
            "cache_read_input_tokens": 10,
            "cache_creation_input_tokens": 1,
        },
    }
    out = BRIDGE.response(upstream, ctx)
    choice = out["choices"][0]
    assert choice["finish_reason"] == finish
    assert choice["message"]["content"] == "Hi"
    assert choice["message"]["tool_calls"] == [
        {"id": "toolu_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    ]
    assert out["usage"] == {
        "prompt_tokens": 16,
        "completion_tokens": 2,
        "total_tokens": 18,
        "prompt_tokens_details": {"cached_tokens": 10},
    }
