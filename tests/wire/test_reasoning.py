"""Reasoning effort: every control, the nearest-value policy, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from switchyard.catalog import Dialect
from switchyard.wire import RequestRefused
from switchyard.wire.reasoning import read_effort, translate_effort

CHAT, RESP, ANTH = Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC


@pytest.mark.parametrize(
    ("value", "control", "dialect", "fragment"),
    [
        # OpenAI labels pass through, on each OpenAI skin's own field
        ("xhigh", "openai-effort", CHAT, {"reasoning_effort": "xhigh"}),
        ("none", "openai-effort", CHAT, {"reasoning_effort": "none"}),
        ("low", "openai-effort", RESP, {"reasoning": {"effort": "low"}}),
        # OpenRouter has minimal..high: outside values go to the nearest documented label
        ("xhigh", "openrouter-effort", CHAT, {"reasoning": {"effort": "high"}}),
        ("none", "openrouter-effort", CHAT, {"reasoning": {"effort": "minimal"}}),
        ("medium", "openrouter-effort", CHAT, {"reasoning": {"effort": "medium"}}),
        # labels -> Anthropic budgets; none turns thinking off
        (
            "high",
            "anthropic-budget",
            ANTH,
            {"thinking": {"type": "enabled", "budget_tokens": 24576}},
        ),
        ("none", "anthropic-budget", ANTH, {"thinking": {"type": "disabled"}}),
        # budgets below Anthropic's 1024 minimum go up to it; dynamic (-1) reads as medium
        (300, "anthropic-budget", ANTH, {"thinking": {"type": "enabled", "budget_tokens": 1024}}),
        (-1, "anthropic-budget", ANTH, {"thinking": {"type": "enabled", "budget_tokens": 8192}}),
        # budgets -> labels by the shared table
        (2000, "openai-effort", CHAT, {"reasoning_effort": "low"}),
        (0, "openai-effort", CHAT, {"reasoning_effort": "none"}),
        (100000, "openrouter-effort", CHAT, {"reasoning": {"effort": "high"}}),
        (-1, "openai-effort", RESP, {"reasoning": {"effort": "medium"}}),
        # Gemini keeps its sentinels and caps at 32768
        (
            0,
            "gemini-budget",
            CHAT,
            {"extra_body": {"google": {"thinking_config": {"thinking_budget": 0}}}},
        ),
        (
            -1,
            "gemini-budget",
            CHAT,
            {"extra_body": {"google": {"thinking_config": {"thinking_budget": -1}}}},
        ),
        (
            99999,
            "gemini-budget",
            CHAT,
            {"extra_body": {"google": {"thinking_config": {"thinking_budget": 32768}}}},
        ),
        (
            "minimal",
            "gemini-budget",
            CHAT,
            {"extra_body": {"google": {"thinking_config": {"thinking_budget": 1024}}}},
        ),
    ],
)
def test_translation(value: Any, control: str, dialect: Dialect, fragment: dict[str, Any]) -> None:
    assert translate_effort(value, control, dialect) == fragment


@pytest.mark.parametrize(
    ("value", "control", "message"),
    [
        ("high", None, "not proven"),
        ("high", "mystery-knob", "not supported"),
        ("turbo", "openai-effort", "unknown reasoning effort"),
        (-5, "gemini-budget", "0, -1"),
        (True, "openai-effort", "label or a token budget"),
    ],
)
def test_refused(value: Any, control: str | None, message: str) -> None:
    with pytest.raises(RequestRefused, match=message):
        translate_effort(value, control, CHAT)


def test_read_effort_from_each_skin() -> None:
    assert read_effort(CHAT, {"reasoning_effort": "high"}) == "high"
    assert read_effort(RESP, {"reasoning": {"effort": "low", "summary": "auto"}}) == "low"
    assert read_effort(RESP, {"reasoning": {"summary": "auto"}}) is None
    assert read_effort(ANTH, {"thinking": {"type": "enabled", "budget_tokens": 2048}}) == 2048
    assert read_effort(ANTH, {"thinking": {"type": "disabled"}}) is None
    assert read_effort(ANTH, {}) is None
    with pytest.raises(RequestRefused, match="budget_tokens"):
        read_effort(ANTH, {"thinking": {"type": "enabled"}})
    with pytest.raises(RequestRefused):
        read_effort(CHAT, {"reasoning_effort": 3.5})


def test_retarget_native_bodies() -> None:
    from switchyard.wire.reasoning import retarget

    chat = {"model": "m", "reasoning_effort": "xhigh"}
    assert retarget(CHAT, chat, "openai-effort") is chat  # the skin's own control: untouched
    assert retarget(CHAT, chat, "openrouter-effort") == {
        "model": "m",
        "reasoning": {"effort": "high"},
    }
    gem = retarget(CHAT, {"model": "m", "reasoning_effort": "none"}, "gemini-budget")
    assert gem == {
        "model": "m",
        "extra_body": {"google": {"thinking_config": {"thinking_budget": 0}}},
    }
    resp = {"model": "m", "reasoning": {"effort": "low", "summary": "auto"}}
    assert retarget(RESP, resp, "anthropic-budget") == {
        "model": "m",
        "reasoning": {"summary": "auto"},
        "thinking": {"type": "enabled", "budget_tokens": 4096},
    }
    assert retarget(CHAT, {"model": "m"}, "gemini-budget") == {"model": "m"}
