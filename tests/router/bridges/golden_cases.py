"""Golden stream cases: which upstream fixture goes through which bridge."""

from __future__ import annotations

import os
import random
from pathlib import Path

from switchyard.catalog import BridgeDirection
from switchyard.router.bridges import BridgeContext, counting_ids, get_bridge
from switchyard.wire import SSEParser

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("SWITCHYARD_REGEN_GOLDEN") == "1"

R2C = BridgeDirection.RESPONSES_TO_CHAT
M2C = BridgeDirection.MESSAGES_TO_CHAT
C2R = BridgeDirection.CHAT_TO_RESPONSES
C2M = BridgeDirection.CHAT_TO_MESSAGES

CASES: list[tuple[str, BridgeDirection]] = [
    ("chat_parallel_tools", R2C),
    ("chat_parallel_tools", M2C),
    ("chat_text_length", R2C),
    ("chat_text_length", M2C),
    ("chat_interrupted", R2C),
    ("chat_interrupted", M2C),
    ("anthropic_tool_use", C2M),
    ("anthropic_overloaded", C2M),
    ("responses_function_call", C2R),
    ("responses_failed", C2R),
]


def context() -> BridgeContext:
    return BridgeContext(
        upstream_model="upstream-model",
        inbound_model="agent-coding",
        reasoning_control=None,
        ids=counting_ids(),
        clock=lambda: 1767225600,
    )


def translate(name: str, direction: BridgeDirection, seed: int | None = None) -> bytes:
    """Run an upstream fixture through a bridge, fed in random-sized pieces when seeded."""
    raw = (GOLDEN / f"{name}.upstream.sse").read_bytes()
    translator = get_bridge(direction).stream(context())
    parser = SSEParser()
    pieces = [raw]
    if seed is not None:
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(raw)), 40))
        pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    out = b""
    for piece in pieces:
        for event in parser.feed(piece):
            out += translator.feed(event)
    for event in parser.flush():
        out += translator.feed(event)
    return out + translator.finish()


def expected_path(name: str, direction: BridgeDirection) -> Path:
    return GOLDEN / f"{name}.{direction.value}.expected.sse"
