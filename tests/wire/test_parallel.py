"""Explicit parallel tool-call asks per dialect (wire.parallel): the field, its allowing value,
absent fields, and the fragment the parallel-tools probe sends."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import Dialect
from switchyard.wire import ask_parallel_tools, asks_parallel_tools

OPENAI = (Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES)


@pytest.mark.parametrize("dialect", OPENAI)
@pytest.mark.parametrize(
    ("fields", "asks"),
    [
        ({"parallel_tool_calls": True}, True),
        ({"parallel_tool_calls": False}, False),
        ({"parallel_tool_calls": None}, False),
        ({}, False),  # absent: the API's default, not an ask
        ({"parallel_tool_calls": "true"}, False),  # only the JSON boolean asks
    ],
)
def test_openai_field(dialect: Dialect, fields: dict[str, Any], asks: bool) -> None:
    assert asks_parallel_tools(dialect, {"model": "g", **fields}) is asks


@pytest.mark.parametrize(
    ("choice", "asks"),
    [
        ({"type": "auto", "disable_parallel_tool_use": False}, True),
        ({"type": "any", "disable_parallel_tool_use": False}, True),
        ({"type": "auto", "disable_parallel_tool_use": True}, False),
        ({"type": "auto"}, False),
        (None, False),
        ("auto", False),
    ],
)
def test_messages_field(choice: Any, asks: bool) -> None:
    body: dict[str, Any] = {"model": "g"} if choice is None else {"tool_choice": choice}
    assert asks_parallel_tools(Dialect.ANTHROPIC, body) is asks


def test_gemini_has_no_switch() -> None:
    body = {"contents": [], "parallel_tool_calls": True}
    assert asks_parallel_tools(Dialect.GOOGLE, body) is False
    assert ask_parallel_tools(Dialect.GOOGLE, {"contents": []}) == {"contents": []}


def test_the_ask_fragment_is_what_the_rule_reads() -> None:
    for dialect in (*OPENAI, Dialect.ANTHROPIC):
        body = ask_parallel_tools(dialect, {"model": "g", "tool_choice": {"type": "auto"}})
        assert asks_parallel_tools(dialect, body), dialect
    chat = ask_parallel_tools(Dialect.OPENAI_CHAT, {"model": "g", "tool_choice": "auto"})
    assert chat == {"model": "g", "tool_choice": "auto", "parallel_tool_calls": True}
    messages = ask_parallel_tools(Dialect.ANTHROPIC, {"model": "g"})
    assert messages["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": False}
