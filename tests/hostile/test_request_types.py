"""Wrong types in every field of a realistic request, through every route the router serves.

For each caller dialect the realistic valid body (answered 200 natively and through every bridge
from that dialect) is walked path by path; each value is replaced by values of other JSON kinds
(integer, string, null, array, object, boolean, number, a deeply nested array) and every variant
is sent to a real router process on every route. The expectations come from the reference APIs,
written here independently of the router's own tables:

* never a 5xx, always the caller dialect's error shape, never a traceback in the router's log;
* a kind the reference does not allow at that path is refused with a 4xx (a type error is a 400
  whose message starts with the path, e.g. ``messages[1].content[0]: expected object ...``);
* a kind the reference allows there (``content`` a string or parts, ``null`` for an optional
  field ...) may be served (2xx) or refused by a bridge or the upstream (4xx);
* inside values the router only carries (JSON schemas, tool arguments) anything goes but 5xx.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from switchyard.catalog import Dialect

from .fuzzstack import (
    ANTH,
    CHAT,
    GOOG,
    RESP,
    ROUTES,
    Stack,
    error_message,
    group_name,
    send_all,
    valid_body,
)

DEEP: Any = 1
for _ in range(40):
    DEEP = [DEEP]
WRONG: dict[str, Any] = {
    "integer": 7,
    "string": "x",
    "null": None,
    "array": [1],
    "object": {"k": 1},
    "boolean": True,
    "number": 1.5,
    "deep": DEEP,
}
KIND = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null",
        dict: "object", list: "array"}  # fmt: skip

# What the references allow beyond the kind of the realistic value (paths with [] for any
# index). Numbers: an integer is a valid number. The router also takes an image_url string on
# Chat (older clients send one) and, on Gemini, proto3 JSON's integers as strings and enums as
# numbers.
ALSO_VALID: dict[Dialect, dict[str, set[str]]] = {
    CHAT: {
        "messages[].content": {"string", "array"},
        "messages[].content[].image_url": {"string", "object"},
        "tool_choice": {"string", "object"},
        "temperature": {"integer", "number"},
        "top_p": {"integer", "number"},
    },
    RESP: {
        "input": {"string", "array"},
        "input[].content": {"string", "array"},
        "input[].output": {"string", "array", "object"},
        "tool_choice": {"string", "object"},
        "reasoning.effort": {"string", "integer"},
        "temperature": {"integer", "number"},
    },
    ANTH: {
        "system": {"string", "array"},
        "messages[].content": {"string", "array"},
        "messages[].content[].content": {"string", "array", "object"},
        "messages[].content[].source": {"string", "object"},
        "temperature": {"integer", "number"},
    },
    GOOG: {
        "generationConfig.maxOutputTokens": {"integer", "string"},
        "generationConfig.temperature": {"integer", "number"},
        "generationConfig.topP": {"integer", "number"},
        "toolConfig.functionCallingConfig.mode": {"string", "integer"},
    },
}
# Values the router carries without reading: anything inside them is the upstream's business.
OPEN = re.compile(
    r"(parameters|input_schema|json_schema\.schema|\.input|\.args|\.response|\.arguments)[.\[]"
)


def pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, list[str | int], Any]]:
    """Every (display path, key path, value) under ``value``, the root excluded."""
    steps: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        steps = [(k, v) for k, v in value.items() if not (path == "" and k == "model")]
    elif isinstance(value, list):
        steps = list(enumerate(value))
    for key, inner in steps:
        shown = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)
        yield shown, [key], inner
        for deeper, keys, v in walk(inner, shown):
            yield deeper, [key, *keys], v


def mutated(body: dict[str, Any], keys: list[str | int], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = copy.deepcopy(value)
    return out


def allowed(dialect: Dialect, path: str, original: Any, kind: str, in_array: bool) -> bool:
    """True when the reference API takes a value of ``kind`` at ``path``."""
    if kind == "null":
        return not in_array  # optional fields are nullable; array items never are
    if kind == "deep":
        kind = "array"
    kinds = ALSO_VALID[dialect].get(pattern(path), {KIND[type(original)]})
    if KIND[type(original)] == "number":
        kinds = kinds | {"integer"}
    return kind in kinds


@pytest.fixture
def stack(fuzz_stack: Stack) -> Stack:
    return fuzz_stack


def cases(dialect: Dialect, group: str) -> list[tuple[str, str, bool, dict[str, Any]]]:
    """(path, kind, kind allowed there, body) for every path and wrong kind."""
    body = valid_body(dialect, group)
    out = []
    for path, keys, original in walk(body):
        in_array = isinstance(keys[-1], int)
        for kind, value in WRONG.items():
            same = KIND[type(original)] == kind
            if same or (kind == "deep" and OPEN.search(path + ".")):
                continue
            ok = allowed(dialect, path, original, kind, in_array)
            out.append((path, kind, ok, mutated(body, keys, value)))
    return out


@pytest.mark.parametrize("dialect", [CHAT, RESP, ANTH, GOOG], ids=lambda d: d.value)
def test_every_wrong_type_is_a_clean_4xx_naming_its_path(stack: Stack, dialect: Dialect) -> None:
    """Every variant goes to the dialect's native route; the type check runs before routing, so
    on the bridged routes only the variants it let through are sent again."""
    routes = [up for d, up in ROUTES if d is dialect]
    variants = cases(dialect, group_name(routes[0]))
    problems: list[str] = []
    type_errors = sent = 0
    for upstream in routes:
        group = group_name(upstream)
        batch = [(path, kind, ok, {**body, "model": group} if "model" in body else body)
                 for path, kind, ok, body in variants]  # fmt: skip
        answers = asyncio.run(send_all([(stack.url(dialect, group), b) for *_, b in batch]))
        sent += len(batch)
        passed = []
        for case, answer in zip(batch, answers, strict=True):
            caught, problem = judge(dialect, upstream, case, answer.status, answer.json())
            type_errors += caught
            if problem:
                problems.append(problem)
            if not caught:
                passed.append(case)
        variants = passed
    assert not problems, f"{len(problems)} of {sent}:\n" + "\n".join(problems[:40])
    assert type_errors > sent // 3  # most wrong kinds are caught by the type check
    assert re.search(r'switchyard_rejected_requests_total\{reason="wrong_type"\} [1-9]',
                     stack.router.metrics())  # fmt: skip
    assert "Traceback" not in stack.router.logs()


def judge(dialect: Dialect, upstream: str, case: tuple[str, str, bool, Any], status: int,
          data: Any) -> tuple[bool, str | None]:  # fmt: skip
    """(a type error named the path, the problem with the answer or None)."""
    path, kind, ok, _ = case
    where = f"{upstream}: {path} <- {kind}: {status} {str(data)[:200]}"
    if status >= 500:
        return False, f"5xx: {where}"
    if status < 400:
        wrong = not (ok or OPEN.search(path))
        return False, f"wrong type accepted: {where}" if wrong else None
    message = error_message(dialect, data)
    if message is None:
        return False, f"not the {dialect.value} error shape: {where}"
    if ": expected " not in message:
        return False, None  # refused by a bridge or the upstream: fine
    if not message.startswith(path):
        return True, f"type error names another path: {where}"
    return True, None
