"""Real-shaped upstream streams (from the API references) through each bridge, byte for byte."""

from __future__ import annotations

import pytest

from switchyard.catalog import BridgeDirection
from switchyard.wire import SSEParser

from .golden_cases import CASES, REGENERATE, expected_path, translate


@pytest.mark.parametrize(("name", "direction"), CASES, ids=[f"{n}-{d.value}" for n, d in CASES])
def test_translation_matches_golden(name: str, direction: BridgeDirection) -> None:
    got = translate(name, direction)
    path = expected_path(name, direction)
    if REGENERATE:
        path.write_bytes(got)
    assert got == path.read_bytes()


@pytest.mark.parametrize(("name", "direction"), CASES, ids=[f"{n}-{d.value}" for n, d in CASES])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chunk_boundaries_do_not_matter(name: str, direction: BridgeDirection, seed: int) -> None:
    assert translate(name, direction, seed) == translate(name, direction)


def test_golden_outputs_are_well_formed_sse() -> None:
    for name, direction in CASES:
        events = SSEParser().feed(expected_path(name, direction).read_bytes())
        assert events, name
        for event in events:
            if not event.done:
                event.json()
