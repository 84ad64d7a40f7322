"""Hypothesis-generated request bodies against every route of a real router process.

Bodies start from the realistic valid body of the caller dialect (streamed or not) and take a
few random edits: a value replaced by arbitrary JSON or by another value of its own kind (often
a word the router branches on, such as a part or tool type; those pass the type check and reach
routing and the bridges), a list doubled or emptied, a key or item deleted, a known field name
added anywhere. Each example
is a batch sent concurrently. Whatever arrives: never a 5xx, always the dialect's error shape,
no traceback in the router's log, and exactly one usage row per request that reached the
upstream. Examples are derandomized, so CI runs the same bodies every time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from switchyard.catalog import Dialect

from .fuzzstack import (
    BODIES,
    ROUTES,
    Stack,
    error_message,
    group_name,
    send_all,
    valid_body,
)
from .test_request_types import walk

BATCH = 16
EXAMPLES = 3
# words the router and its bridges branch on, so edits reach deeper code
WORDS = [
    "text", "image_url", "input_text", "input_image", "image", "document", "tool_use",
    "tool_result", "function", "custom", "namespace", "function_call", "function_call_output",
    "custom_tool_call", "reasoning", "message", "user", "assistant", "system", "developer",
    "tool", "model", "auto", "none", "required", "any", "enabled", "adaptive", "disabled",
    "json_schema", "json_object", "ANY", "AUTO", "low", "high", "thinking", "base64", "url",
    "data:image/png;base64,AAAA", "https://api.example.invalid/a.png", "{}", "{\"a\": 1}",
    "tool_reference", "clear_thinking_20251015", "item_reference", "refusal", "output_text",
]  # fmt: skip


def _names() -> list[str]:
    found = {"model", "stream", "stream_options", "include_usage", "thinking", "budget_tokens",
             "reasoning_effort", "output_config", "effort", "format", "response_format",
             "previous_response_id", "background", "n", "stop", "seed", "thinkingConfig",
             "thinkingBudget", "thinkingLevel", "functionCall", "functionResponse",
             "context_management", "edits", "defer_loading", "namespace", "tools", "is_error"}  # fmt: skip
    for body in BODIES.values():
        for path, _, _ in walk(body):
            found.add(path.rsplit(".", 1)[-1].split("[")[0])
    return sorted(found)


NAMES = _names()
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# a value of each kind, for edits that keep the kind (those pass the type check and reach the
# code that routes and translates)
SAME_KIND = st.fixed_dictionaries(
    {
        str: st.sampled_from(WORDS) | st.text(max_size=12),
        int: st.integers(-(2**63), 2**64 - 1),
        float: st.floats(allow_nan=False, allow_infinity=False),
        bool: st.booleans(),
    }
)
EDIT = st.tuples(
    st.sampled_from(["set", "same", "same", "delete", "add"]),
    st.integers(0, 10**6),
    st.sampled_from(NAMES),
    JSON,
    SAME_KIND,
)


def edited(
    body: dict[str, Any], edits: list[tuple[str, int, str, Any, dict[type, Any]]]
) -> dict[str, Any]:
    for op, pick, name, value, same in edits:
        places = list(walk(body))
        if not places:
            body[name] = value
            continue
        _, keys, _ = places[pick % len(places)]
        node: Any = body
        for key in keys[:-1]:
            node = node[key]
        last = keys[-1]
        if op == "set":
            node[last] = value
        elif op == "same":
            kind = type(node[last])
            if kind in same:
                node[last] = same[kind]
            elif kind is list:  # a list keeps its kind with its items repeated or gone
                node[last] = node[last] * 2 if pick % 2 else []
        elif op == "delete":
            del node[last]
        elif isinstance(node[last], dict):
            node[last][name] = value
        else:
            body[name] = value
    return body


@st.composite
def bodies(draw: st.DrawFn, dialect: Dialect, group: str) -> tuple[bool, dict[str, Any]]:
    stream = draw(st.booleans())
    body = valid_body(dialect, group, stream)
    return stream, edited(body, draw(st.lists(EDIT, min_size=1, max_size=4)))


@pytest.fixture
def stack(fuzz_stack: Stack) -> Stack:
    return fuzz_stack


def refused_before_routing(status: int, message: str) -> bool:
    """Answers given before a request is routed (and so before a usage row exists): a type
    error, an unknown or missing model, a Gemini body naming ``model`` or ``stream``."""
    before = (": expected ", "field 'model'", "Unknown name")
    return status == 404 or any(words in message for words in before)


def wait_rows(stack: Stack, before: int, count: int) -> list[dict[str, Any]]:
    """The rows after the first ``before``, once ``count`` are there (a stream's row lands just
    after its last byte), or what is there after a generous wait."""
    deadline = time.monotonic() + 20
    while True:
        rows = stack.router.usage_rows()[before:]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("dialect", "upstream"), ROUTES, ids=[f"{d.value}->{u}" for d, u in ROUTES]
)
def test_generated_bodies_never_break_the_router(
    stack: Stack, dialect: Dialect, upstream: str
) -> None:
    group = group_name(upstream)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(bodies(dialect, group), min_size=BATCH, max_size=BATCH))
    def batch(cases: list[tuple[bool, dict[str, Any]]]) -> None:
        rows, upstream_calls = len(stack.router.usage_rows()), stack.upstream_requests()
        sent = [(stack.url(dialect, group, stream), body) for stream, body in cases]
        answers = asyncio.run(send_all(sent))
        problems, routed = [], 0
        for (_, body), answer in zip(sent, answers, strict=True):
            shown = f"{answer.status} {answer.body[:160]!r} for {orjson.dumps(body)[:400]!r}"
            message = error_message(dialect, answer.json()) if answer.status >= 400 else ""
            if answer.status >= 500:
                problems.append(f"5xx: {shown}")
            elif message is None:
                problems.append(f"not the {dialect.value} error shape: {shown}")
            elif not refused_before_routing(answer.status, message):
                routed += 1
        assert not problems, "\n".join(problems)
        reached = stack.upstream_requests() - upstream_calls
        new = wait_rows(stack, rows, routed)
        assert len(new) == routed  # one usage row per routed request, none lost
        assert sum(1 for r in new if r["upstream_path"] is not None) == reached
        assert "Traceback" not in stack.router.logs()

    batch()
