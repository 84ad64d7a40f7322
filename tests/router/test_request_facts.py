"""Request facts the router derives per request (row buckets, media needs) read the same as the
plain searches they replace."""

from __future__ import annotations

import random
from typing import Any

from switchyard.catalog import Capability
from switchyard.router.dialects.base import MAX_PART_DEPTH, NESTED_PARTS, part_needs
from switchyard.router.dialects.openai_chat import MEDIA_PARTS
from switchyard.router.exchange import BUCKETS, bucket


def _bucket(n: int) -> str:
    if n <= 0:
        return "0"
    for top, label in BUCKETS:
        if n <= top:
            return label
    return "65+"


def _part_needs(items: Any, kinds: dict[str, Capability]) -> set[Capability]:
    found: set[Capability] = set()
    stack: list[tuple[Any, int]] = [(items, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_PART_DEPTH or not isinstance(value, list):
            continue
        for item in value:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if isinstance(kind, str) and kind in kinds:
                found.add(kinds[kind])
            stack.extend((item.get(key), depth + 1) for key in NESTED_PARTS)
    return found


def test_buckets() -> None:
    assert [bucket(n) for n in range(-3, 300)] == [_bucket(n) for n in range(-3, 300)]


def _content(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if pick < 0.3 or depth > 12:
        return rng.choice(["text", None, 3, {"type": "image_url"}])
    parts = []
    for _ in range(rng.randint(0, 3)):
        part: dict[str, Any] = {"type": rng.choice([*MEDIA_PARTS, "text", "tool_result", 7])}
        if rng.random() < 0.5:
            part[rng.choice(NESTED_PARTS)] = _content(rng, depth + 1)
        parts.append(rng.choice([part, part, "x"]))
    return parts


def test_media_needs() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        messages = _content(rng, 0)
        assert part_needs(messages, MEDIA_PARTS) == _part_needs(messages, MEDIA_PARTS)
