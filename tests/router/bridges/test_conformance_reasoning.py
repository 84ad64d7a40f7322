"""Reasoning effort reaches each target as its own proven control, through a real router."""

from __future__ import annotations

import anthropic
import openai
import pytest

from .stack import CALLER, REPLY, Stack


def test_chat_effort_becomes_openrouter_effort_natively(stack: Stack) -> None:
    oai = openai.OpenAI(base_url=stack.router.v1, api_key=CALLER, max_retries=0)
    out = oai.chat.completions.create(
        model="orouter-m", messages=[{"role": "user", "content": "hi"}], reasoning_effort="xhigh"
    )
    assert out.choices[0].message.content == REPLY
    body = stack.upstream("chat-m")[-1]["body"]
    assert body["reasoning"] == {"effort": "high"} and "reasoning_effort" not in body


def test_thinking_budget_becomes_chat_effort_through_the_bridge(stack: Stack) -> None:
    ant = anthropic.Anthropic(base_url=stack.router.url, api_key=CALLER, max_retries=0)
    out = ant.messages.create(
        model="chat-m",
        max_tokens=4000,
        messages=[{"role": "user", "content": "hi"}],
        thinking={"type": "enabled", "budget_tokens": 2048},
    )
    assert out.stop_reason == "end_turn"
    assert stack.upstream("chat-m")[-1]["body"]["reasoning_effort"] == "low"


def test_chat_effort_becomes_a_thinking_budget_on_anthropic(stack: Stack) -> None:
    oai = openai.OpenAI(base_url=stack.router.v1, api_key=CALLER, max_retries=0)
    out = oai.chat.completions.create(
        model="anth-m",
        messages=[{"role": "user", "content": "hi"}],
        reasoning_effort="medium",
        max_tokens=20000,
    )
    assert out.choices[0].message.content == REPLY  # the thinking block stays upstream
    assert stack.upstream("anth-m")[-1]["body"]["thinking"] == {
        "type": "enabled",
        "budget_tokens": 8192,
    }
    with pytest.raises(openai.BadRequestError, match="unknown reasoning effort"):
        oai.chat.completions.create(
            model="anth-m",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"reasoning_effort": "turbo"},
        )
