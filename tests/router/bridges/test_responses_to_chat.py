"""responsesToChat: request and response translation, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import BridgeDirection
from switchyard.router.bridges import BridgeContext, get_bridge
from switchyard.wire import RequestRefused

from .conftest import make_ctx

BRIDGE = get_bridge(BridgeDirection.RESPONSES_TO_CHAT)


def test_tool_round_trip_request(ctx: BridgeContext) -> None:
    body = {
        "model": "group-a",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call", "call_id": "c2", "name": "get_time", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "18C"},
            {
                "type": "function_call_output",
                "call_id": "c2",
                "output": [{"type": "input_text", "text": "noon"}],
            },
        ],
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "w",
                "parameters": {"type": "object"},
                "strict": False,
            }
        ],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "parallel_tool_calls": True,
        "max_output_tokens": 300,
        "stream": True,
        "store": False,
    }
    out = BRIDGE.request(body, ctx)
    assert out["model"] == "up-model"
    assert out["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "tool_call_id": "c2", "content": "noon"},
    ]
    assert out["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "w",
                "parameters": {"type": "object"},
                "strict": False,
            },
        }
    ]
    assert out["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert out["max_tokens"] == 300
    assert out["stream_options"] == {"include_usage": True}
    assert "store" not in out


def test_images_and_reasoning(ctx: BridgeContext) -> None:
    body = {
        "model": "g",
        "input": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_image",
                        "image_url": "data:image/png;base64,AAA",
                        "detail": "low",
                    }
                ],
            }
        ],
        "reasoning": {"effort": "xhigh"},
    }
    out = BRIDGE.request(body, make_ctx("openrouter-effort"))
    assert out["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA", "detail": "low"}}
    ]
    assert out["reasoning"] == {"effort": "high"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"tools": [{"type": "web_search"}]}, "hosted tool 'web_search'"),
        (
            {"text": {"format": {"type": "json_schema", "name": "x", "schema": {}}}},
            "structured output",
        ),
        ({"reasoning": {"effort": "high"}}, "not proven"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"input": [{"type": "item_reference", "id": "x"}]}, "item references"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "input_file",
        ),
        ({"tool_choice": {"type": "web_search"}}, "tool_choice"),
    ],
)
def test_refusals(ctx: BridgeContext, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestRefused, match=message):
        BRIDGE.request({"model": "g", "input": "hi", **extra}, ctx)


def test_response_with_parallel_calls(ctx: BridgeContext) -> None:
    upstream = {
        "id": "chatcmpl-1",
        "created": 1700000000,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "Calling.",
                    "tool_calls": [
                        {
                            "id": "call_a",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"x":1}'},
                        },
                        {
                            "id": "call_b",
                            "type": "function",
                            "function": {"name": "g", "arguments": ""},
                        },
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    out = BRIDGE.response(upstream, ctx)
    assert (
        out["object"] == "response" and out["status"] == "completed" and out["model"] == "group-a"
    )
    assert [i["type"] for i in out["output"]] == ["message", "function_call", "function_call"]
    assert out["output"][0]["content"][0]["text"] == "Calling."
    assert [(i["call_id"], i["arguments"]) for i in out["output"][1:]] == [
        ("call_a", '{"x":1}'),
        ("call_b", "{}"),
    ]
    assert out["usage"]["input_tokens"] == 10 and out["usage"]["total_tokens"] == 15


def test_response_cut_by_cap_is_incomplete(ctx: BridgeContext) -> None:
    upstream = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "message": {"role": "assistant", "content": "Once"},
            }
        ]
    }
    out = BRIDGE.response(upstream, ctx)
    assert out["status"] == "incomplete"
    assert out["incomplete_details"] == {"reason": "max_output_tokens"}
    assert out["usage"] is None
