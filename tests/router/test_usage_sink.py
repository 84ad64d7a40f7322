"""The usage sink batches rows while requests overlap, and loses none at shutdown."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

from switchyard.router.usage import UsageRow, UsageSink, whole_rows


def _row(request_id: str) -> UsageRow:
    return UsageRow(
        ts=0.0, request_id=request_id, group="g", provider="p", model="m", key_id=None,
        inbound_skin="openai-chat", target_skin="openai-chat", bridge_direction=None,
        status=200, error_class=None, latency_ms=1, ttfb_ms=1, input_tokens=1,
        output_tokens=1, cost_usd=None, selected_upstream="p/m", fallback=False, attempts=1,
        stream=False,
    )  # fmt: skip


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["request_id"] for line in path.read_text().splitlines()]


async def test_rows_of_overlapping_requests_go_out_together_at_the_end_of_the_turn(
    tmp_path: Path,
) -> None:
    path = tmp_path / "usage.jsonl"
    sink = UsageSink(str(path))
    sink.begin()
    sink.begin()
    sink.write(_row("a"))  # "b" is still in flight: "a" waits for the end of this turn
    assert _ids(path) == []
    await asyncio.sleep(0)  # one turn of the loop
    assert _ids(path) == ["a"]
    sink.write(_row("b"))  # nothing else in flight: written at once
    assert _ids(path) == ["a", "b"]
    sink.close()


async def test_a_lone_request_row_is_written_before_write_returns(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    sink = UsageSink(str(path))
    sink.begin()
    sink.write(_row("only"))
    assert _ids(path) == ["only"]
    sink.close()


async def test_close_writes_rows_still_waiting(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    sink = UsageSink(str(path))
    sink.begin()
    sink.begin()
    sink.write(_row("pending"))
    sink.close()  # shutdown before the loop turned: the row is not lost
    assert _ids(path) == ["pending"]


async def test_a_request_without_a_row_releases_the_rows_it_held_back(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    sink = UsageSink(str(path))
    sink.begin()
    sink.begin()
    sink.write(_row("first"))
    sink.skip()  # the other request ended without a row: nothing is in flight any more
    assert _ids(path) == ["first"]
    sink.close()


def test_batches_for_a_shared_pipe_are_cut_at_row_boundaries_within_pipe_buf() -> None:
    """stdout may be one pipe for several workers: a write above PIPE_BUF is not atomic there,
    so a batch goes out in chunks of whole rows no longer than the limit."""
    rows = [f'{{"i":{i},"pad":"{"x" * 90}"}}\n'.encode() for i in range(100)]
    chunks = list(whole_rows(rows, 4096))
    assert b"".join(chunks) == b"".join(rows)
    assert all(len(c) <= 4096 and c.endswith(b"\n") for c in chunks)
    # and as few as that allows: no chunk could have taken the next chunk's first row
    assert all(len(c) + len(n.split(b"\n")[0]) + 1 > 4096 for c, n in itertools.pairwise(chunks))
    big = b"y" * 5000 + b"\n"
    assert list(whole_rows([b"a\n", big, b"b\n"], 4096)) == [b"a\n", big, b"b\n"]
