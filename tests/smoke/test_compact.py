"""The compact termination-message form: round trip, the 4 KiB bound, clear decode errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchyard.catalog import (
    BridgeDirection,
    Dialect,
    ErrorClass,
    EvidenceRow,
    Layer,
    ProbeResult,
    ProbeTask,
)
from switchyard.smoke import CompactTooLargeError, decode_compact, encode_compact

AT = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


def _rows(n: int, detail: str = "ok") -> list[EvidenceRow]:
    tasks = list(ProbeTask)
    return [
        EvidenceRow(
            task=tasks[i % len(tasks)],
            dialect=list(Dialect)[i % 3],
            layer=Layer.ROUTER,
            result=ProbeResult.FAIL if i % 5 == 0 else ProbeResult.PASS,
            status_code=403 if i % 5 == 0 else 200,
            error_class=ErrorClass.ENTITLEMENT if i % 5 == 0 else None,
            latency_ms=800 + i,
            input_tokens=95 + i,
            output_tokens=21,
            selected_upstream=f"provider-{i}/model-{i}",
            bridge_direction=BridgeDirection.RESPONSES_TO_CHAT if i % 2 else None,
            fallback=bool(i % 3),
            detail=f"{detail} {i}",
            at=AT,
        )
        for i in range(n)
    ]


def test_round_trip_keeps_every_field() -> None:
    rows = _rows(12)
    text = encode_compact(rows, 4321, AT, AT)
    assert text.startswith("sy1:") and text.isascii() and "\n" not in text
    evidence = decode_compact(text + "\n")
    assert evidence.rows == rows
    assert evidence.tokens_spent == 4321
    assert evidence.started_at == AT and evidence.completed_at == AT


def test_a_full_matrix_fits_a_termination_message() -> None:
    rows = _rows(3 * 14)  # every dialect x every task, plus info rows
    assert len(encode_compact(rows, 10**6).encode()) <= 4096


def test_details_go_first_rows_never() -> None:
    noisy = [
        r.model_copy(update={"detail": f"{i:03d}" + "x" * 250}) for i, r in enumerate(_rows(48))
    ]
    # incompressible details: build them from varied characters
    import random

    rng = random.Random(7)
    for r in noisy:
        r.detail = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(250))
    text = encode_compact(noisy, 1)
    assert len(text) <= 4096
    back = decode_compact(text).rows
    assert len(back) == 48
    assert all(r.detail is None for r in back)
    assert [r.task for r in back] == [r.task for r in noisy]


def test_too_many_rows_is_an_error_not_a_truncation() -> None:
    with pytest.raises(CompactTooLargeError, match="over 200"):
        encode_compact(_rows(40), 1, limit=200)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "prefix"),
        ("{}", "prefix"),
        ("sy1:not-base64!!", "corrupt"),
        ("sy1:" + "eNqrrgUAAXUA+Q==", "unknown version"),
    ],
)
def test_decode_errors_are_specific(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_compact(text)


def test_truncated_message_is_refused() -> None:
    text = encode_compact(_rows(10), 5)
    with pytest.raises(ValueError, match="corrupt or truncated"):
        decode_compact(text[: len(text) // 2])
