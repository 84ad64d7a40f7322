"""The fake upstream's parallel tool calls, on every skin (what the bridge conformance tests use)."""

from __future__ import annotations

from typing import Any

from switchyard.testing.scenario import Behaviour
from switchyard.testing.simulate import answer
from switchyard.testing.wire_anthropic import AnthropicWire
from switchyard.testing.wire_chat import ChatWire
from switchyard.testing.wire_google import GoogleWire
from switchyard.testing.wire_responses import ResponsesWire

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
PARALLEL = Behaviour(parallel_tool_calls=True)


def chat_body(**extra: Any) -> dict[str, Any]:
    tools = [
        {"type": "function", "function": {"name": n, "parameters": SCHEMA}} for n in ("a", "b")
    ]
    return {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": tools, **extra}


def test_chat_calls_every_tool_when_parallel() -> None:
    wire = ChatWire()
    ask = wire.parse(chat_body())
    out = wire.complete(ask, answer(ask, PARALLEL), chat_body())
    calls = out["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["a", "b"]
    assert len({c["id"] for c in calls}) == 2
    frames = b"".join(wire.stream(ask, answer(ask, PARALLEL), chat_body()))
    assert b'"index":1,"id"' in frames


def test_parallel_off_by_request_or_behaviour() -> None:
    wire = ChatWire()
    off = chat_body(parallel_tool_calls=False)
    ask = wire.parse(off)
    assert len(answer(ask, PARALLEL).calls) == 1
    ask = wire.parse(chat_body())
    assert len(answer(ask, Behaviour()).calls) == 1


def test_responses_and_anthropic_items() -> None:
    tools = [{"type": "function", "name": n, "parameters": SCHEMA} for n in ("a", "b")]
    body = {"model": "m", "input": "x", "tools": tools}
    wire = ResponsesWire()
    ask = wire.parse(body)
    out = wire.complete(ask, answer(ask, PARALLEL), body)
    items = [i for i in out["output"] if i["type"] == "function_call"]
    assert [i["name"] for i in items] == ["a", "b"] and len({i["id"] for i in items}) == 2

    atools = [{"name": n, "input_schema": SCHEMA} for n in ("a", "b")]
    abody = {
        "model": "m",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "x"}],
        "tools": atools,
    }
    awire = AnthropicWire()
    ask = awire.parse(abody)
    msg = awire.complete(ask, answer(ask, PARALLEL), abody)
    assert [b["name"] for b in msg["content"] if b["type"] == "tool_use"] == ["a", "b"]
    single = {**abody, "tool_choice": {"type": "auto", "disable_parallel_tool_use": True}}
    ask = awire.parse(single)
    assert len(answer(ask, PARALLEL).calls) == 1
    frames = b"".join(awire.stream(ask, answer(ask, PARALLEL), single))
    assert frames.count(b'"type":"tool_use"') == 1


def test_responses_parallel_off_by_request() -> None:
    tools = [{"type": "function", "name": n, "parameters": SCHEMA} for n in ("a", "b")]
    body = {"model": "m", "input": "x", "tools": tools, "parallel_tool_calls": False}
    wire = ResponsesWire()
    ask = wire.parse(body)
    out = wire.complete(ask, answer(ask, PARALLEL), body)
    assert [i["name"] for i in out["output"] if i["type"] == "function_call"] == ["a"]
    assert out["parallel_tool_calls"] is False  # echoed, as the Responses API does


def test_gemini_parallel_calls_are_function_call_parts_of_one_candidate() -> None:
    """Gemini has no switch: a parallel model calls both tools in one content, whole parts in
    the stream; a model without parallel calls makes one."""
    decls = [{"name": n, "parameters": SCHEMA} for n in ("a", "b")]
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}],
            "tools": [{"functionDeclarations": decls}]}  # fmt: skip
    wire = GoogleWire()
    ask = wire.parse(body)
    out = wire.complete(ask, answer(ask, PARALLEL), body)
    parts = out["candidates"][0]["content"]["parts"]
    assert [p["functionCall"]["name"] for p in parts] == ["a", "b"]
    assert all(p["functionCall"]["args"] == {"city": "OK"} for p in parts)
    chunks = wire.chunks(ask, answer(ask, PARALLEL))
    streamed = [
        p["functionCall"]["name"] for c in chunks for p in c["candidates"][0]["content"]["parts"]
    ]
    assert streamed == ["a", "b"]
    assert len(answer(ask, Behaviour()).calls) == 1
