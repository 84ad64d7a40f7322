"""chatToResponses: Chat requests on a Responses upstream, stateful sessions, answers back."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import BridgeDirection
from switchyard.router.bridges import BridgeContext, BridgeUpstreamFailed, get_bridge
from switchyard.wire import RequestRefused

from .conftest import make_ctx

BRIDGE = get_bridge(BridgeDirection.CHAT_TO_RESPONSES)
HISTORY: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Weather?"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
]


def test_stateless_request(ctx: BridgeContext) -> None:
    body = {
        "model": "g",
        "messages": HISTORY,
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}},
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "max_completion_tokens": 200,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    out = BRIDGE.request(body, ctx)
    assert out["instructions"] == "Be brief."
    assert out["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Weather?"},
                {"type": "input_image", "image_url": "https://x/y.png", "detail": "auto"},
            ],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
    ]
    # Chat's default is non-strict; Responses would otherwise assume strict
    assert out["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": None,
            "parameters": {"type": "object"},
            "strict": False,
        }
    ]
    assert out["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert out["max_output_tokens"] == 200 and out["stream"] is True
    assert "previous_response_id" not in out and "stream_options" not in out


def test_stateful_request_sends_only_the_new_turn() -> None:
    out = BRIDGE.request({"model": "g", "messages": HISTORY}, make_ctx(previous="resp_prev"))
    assert out["previous_response_id"] == "resp_prev"
    assert out["instructions"] == "Be brief."
    assert out["input"] == [{"type": "function_call_output", "call_id": "call_1", "output": "18C"}]


def test_a_fresh_conversation_ignores_the_session() -> None:
    out = BRIDGE.request(
        {"model": "g", "messages": [{"role": "user", "content": "hi"}]},
        make_ctx(previous="resp_prev"),
    )
    assert "previous_response_id" not in out
    assert out["input"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"stop": ["x"]}, "stop"),
        ({"n": 2}, "n > 1"),
        ({"response_format": {"type": "json_object"}}, "structured output"),
        ({"logprobs": True}, "logprobs"),
        ({"reasoning_effort": "high"}, "not proven"),
        ({"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "input_audio"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "custom"),
    ],
)
def test_refusals(ctx: BridgeContext, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestRefused, match=message):
        BRIDGE.request(
            {"model": "g", "messages": [{"role": "user", "content": "hi"}], **extra}, ctx
        )


def test_reasoning_goes_to_the_responses_field() -> None:
    body = {
        "model": "g",
        "messages": [{"role": "user", "content": "hi"}],
        "reasoning_effort": "minimal",
    }
    assert BRIDGE.request(body, make_ctx("openai-effort"))["reasoning"] == {"effort": "minimal"}


def test_response(ctx: BridgeContext) -> None:
    upstream = {
        "id": "resp_9",
        "created_at": 1700000000,
        "status": "completed",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "type": "message",
                "id": "m",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi", "annotations": []}],
            },
            {
                "type": "function_call",
                "id": "fc",
                "call_id": "call_9",
                "name": "f",
                "arguments": '{"a":1}',
            },
        ],
        "usage": {
            "input_tokens": 9,
            "output_tokens": 3,
            "total_tokens": 12,
            "input_tokens_details": {"cached_tokens": 4},
        },
    }
    out = BRIDGE.response(upstream, ctx)
    choice = out["choices"][0]
    assert (
        out["object"] == "chat.completion"
        and out["model"] == "group-a"
        and out["created"] == 1700000000
    )
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Hi"
    assert choice["message"]["tool_calls"] == [
        {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    ]
    assert out["usage"] == {
        "prompt_tokens": 9,
        "completion_tokens": 3,
        "total_tokens": 12,
        "prompt_tokens_details": {"cached_tokens": 4},
    }


def test_incomplete_and_failed_responses(ctx: BridgeContext) -> None:
    cut = {
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "output": [],
    }
    assert BRIDGE.response(cut, ctx)["choices"][0]["finish_reason"] == "length"
    with pytest.raises(BridgeUpstreamFailed):
        BRIDGE.response(
            {"status": "failed", "error": {"code": "server_error", "message": "x"}}, ctx
        )
