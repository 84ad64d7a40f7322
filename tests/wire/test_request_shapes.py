"""The request type check (wire.request_shapes): valid requests in every form the reference APIs
allow pass, a wrong type is named by its JSON path, and unknown fields are left alone."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import Dialect
from switchyard.wire import request_type_problem

CHAT, RESP, ANTH, GOOG = (
    Dialect.OPENAI_CHAT,
    Dialect.OPENAI_RESPONSES,
    Dialect.ANTHROPIC,
    Dialect.GOOGLE,
)
USER = {"role": "user", "content": "hi"}

# Forms the references allow, each in a minimal request (written from the API references).
VALID: list[tuple[Dialect, dict[str, Any]]] = [
    (CHAT, {"model": "g", "messages": [USER]}),
    (CHAT, {"model": "g", "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}]}),
    (CHAT, {"model": "g", "messages": [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}),
    (CHAT, {"model": "g", "messages": [USER], "stop": "END"}),
    (CHAT, {"model": "g", "messages": [USER], "stop": ["a", "b"]}),
    (CHAT, {"model": "g", "messages": [USER], "tool_choice": "required"}),
    (CHAT, {"model": "g", "messages": [USER], "tool_choice": {"type": "function", "function": {"name": "f"}}}),
    (CHAT, {"model": "g", "messages": [USER], "temperature": 1, "top_p": 0.5, "max_tokens": None}),
    (CHAT, {"model": "g", "messages": [USER], "stream": True, "stream_options": {"include_usage": True}}),
    (CHAT, {"model": "g", "messages": [USER], "logit_bias": {"50256": -100}, "x_unknown": [1, {}]}),
    (RESP, {"model": "g", "input": "hi"}),
    (RESP, {"model": "g", "input": [USER, {"type": "function_call_output", "call_id": "c",
                                          "output": [{"type": "input_text", "text": "ok"}]}]}),
    (RESP, {"model": "g", "input": [{"type": "computer_call_output", "call_id": "c",
                                     "output": {"type": "computer_screenshot", "image_url": "u"}}]}),
    (RESP, {"model": "g", "input": "hi", "tool_choice": "auto", "reasoning": {"effort": "low"}}),
    (RESP, {"model": "g", "input": "hi", "tools": [{"type": "namespace", "name": "n", "tools": [
        {"type": "function", "name": "f", "parameters": {"type": "object"}}]}]}),
    (ANTH, {"model": "g", "max_tokens": 5, "messages": [USER], "system": "be brief"}),
    (ANTH, {"model": "g", "max_tokens": 5, "messages": [USER],
            "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}]}),
    (ANTH, {"model": "g", "max_tokens": 5, "messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "ok"}]},
        {"type": "search_result", "source": "https://x.example.invalid", "title": "t",
         "content": [{"type": "text", "text": "ok"}]}]}]}),
    (GOOG, {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generationConfig": {"maxOutputTokens": "64", "thinkingConfig": {"thinkingBudget": 0}}}),
    (GOOG, {"contents": [{"parts": [{"text": "hi"}]}], "toolConfig": {"functionCallingConfig": {"mode": 2}}}),
]  # fmt: skip

WRONG: list[tuple[Dialect, dict[str, Any], str]] = [
    (CHAT, {"messages": [USER, {"role": "user", "content": ["x"]}]},
     "messages[1].content[0]: expected object, got string"),
    (CHAT, {"messages": [USER], "stream_options": "yes"},
     "stream_options: expected object, got string"),
    (CHAT, {"messages": [USER], "tools": 5}, "tools: expected array, got integer"),
    (CHAT, {"messages": [USER], "tools": [{"type": {}}]},
     "tools[0].type: expected string, got object"),
    (CHAT, {"messages": [USER], "temperature": True}, "temperature: expected number, got boolean"),
    (CHAT, {"messages": [USER], "max_tokens": 1.5}, "max_tokens: expected integer, got number"),
    (CHAT, {"messages": None}, "messages: expected array, got null"),
    (RESP, {"input": 5}, "input: expected string or array, got integer"),
    (RESP, {"input": "hi", "tools": [{"type": "namespace", "tools": [{"type": 1}]}]},
     "tools[0].tools[0].type: expected string, got integer"),
    (ANTH, {"messages": [{"role": "user", "content": [{"type": "tool_use", "input": "x"}]}]},
     "messages[0].content[0].input: expected object, got string"),
    (ANTH, {"messages": [USER], "system": 3}, "system: expected string or array, got integer"),
    (GOOG, {"contents": [{"parts": {"text": "hi"}}]},
     "contents[0].parts: expected array, got object"),
]  # fmt: skip


def test_a_body_that_is_not_an_object_is_named_as_the_body() -> None:
    assert request_type_problem(CHAT, []) == "<body>: expected object, got array"


@pytest.mark.parametrize(("dialect", "body"), VALID)
def test_every_form_the_references_allow_passes(dialect: Dialect, body: dict[str, Any]) -> None:
    assert request_type_problem(dialect, body) is None


@pytest.mark.parametrize(("dialect", "body", "message"), WRONG)
def test_a_wrong_type_is_named_by_its_path(
    dialect: Dialect, body: dict[str, Any], message: str
) -> None:
    assert request_type_problem(dialect, body) == message
