"""Golden cases for malformed native streams: the relay forwards whole events only, drops the
malformed one and everything after it, and ends with the caller's error event (BadResponse).
Inputs are fed in small chunks that split events anywhere, as a real upstream's TCP reads do.
Regenerate deliberately with SWITCHYARD_REGEN_GOLDEN=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from switchyard.catalog import Dialect, ErrorClass
from switchyard.router.dialects import ADAPTERS
from switchyard.router.relay import Leg, _Relay

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("SWITCHYARD_REGEN_GOLDEN") == "1"
CASES = {"chat": Dialect.OPENAI_CHAT, "responses": Dialect.OPENAI_RESPONSES,
         "anthropic": Dialect.ANTHROPIC}  # fmt: skip
BAD_EVENT = {"chat": 2, "responses": 2, "anthropic": 3}  # index of the malformed event


def relay(dialect: Dialect, raw: bytes, chunk: int) -> tuple[bytes, _Relay]:
    leg = Leg(ADAPTERS[dialect], dialect, None, None, {})
    r = _Relay(leg)
    out = b""
    for i in range(0, len(raw), chunk):
        out += r.feed(raw[i : i + chunk])
        if r.reader.malformed:
            break
    else:
        out += r.flush()
    if r.reader.malformed:
        out += r.fail(dialect, ErrorClass.BAD_RESPONSE)
    return out, r


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("chunk", [1, 7, 64, 100_000])
def test_malformed_native_stream(name: str, chunk: int) -> None:
    dialect = CASES[name]
    raw = (GOLDEN / f"{name}_malformed.input.sse").read_bytes()
    out, r = relay(dialect, raw, chunk)
    expected = GOLDEN / f"{name}_malformed.expected.sse"
    if REGENERATE and chunk == 7:
        expected.write_bytes(out)
    assert r.reader.malformed and not r.reader.finished
    assert out == expected.read_bytes()


@pytest.mark.parametrize("name", list(CASES))
def test_a_healthy_stream_is_relayed_byte_for_byte(name: str) -> None:
    """Without the malformed event the relay changes nothing (split anywhere)."""
    dialect = CASES[name]
    events = (GOLDEN / f"{name}_malformed.input.sse").read_bytes().split(b"\n\n")
    healthy = b"\n\n".join(e for i, e in enumerate(events) if i != BAD_EVENT[name])
    for chunk in (1, 5, 1000):
        out, r = relay(dialect, healthy, chunk)
        assert out == healthy
        assert r.reader.finished and not r.reader.malformed
        assert r.reader.usage is not None
