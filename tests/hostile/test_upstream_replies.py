"""Hostile upstream replies on every route (native and bridged, streamed and not).

The fake upstream answers 200 with JSON cut in half, a JSON array, a bare string, the reply list
as a number, every nested field of another JSON kind, wrong-typed usage, negative and absurd
token counts; streams carry such events (see switchyard.testing.broken). Whatever comes back:

* never a 5xx of ours: a broken reply is a 502 ``BadResponse`` in the caller's error shape, or
  the healthy fallback target answers; a broken stream ends with the caller's error event;
* one usage row per request, with the status the caller got and ``BadResponse`` whenever the
  caller got an error; never negative or absurd token counts;
* no traceback in the router's log.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from switchyard.catalog import Dialect
from switchyard.wire import SSEParser

from .fuzzstack import (
    ENDING,
    HARD,
    MODELS,
    RESP,
    ROUTES,
    Answer,
    Stack,
    error_message,
    fallback_group,
    group_name,
    send_all,
    valid_body,
)

MAX_TOKENS = 10**12  # no honest count comes near; a booked count above it is absurd


def stream_error(dialect: Dialect, raw: bytes) -> str | None:
    """The message of the error event that ends a stream, or None if it ends otherwise."""
    events = [e for e in SSEParser().feed(raw) + SSEParser().flush() if not e.done]
    if not events:
        return None
    try:
        last = orjson.loads(events[-1].data)
    except orjson.JSONDecodeError:
        return None
    if dialect is RESP:
        ok = isinstance(last, dict) and last.get("type") == "error"
        return str(last["message"]) if ok and isinstance(last.get("message"), str) else None
    return error_message(dialect, last)


def clean_events(raw: bytes) -> bool:
    """Every event the caller got is a JSON object (or [DONE]): nothing broken passed on."""
    for e in SSEParser().feed(raw) + SSEParser().flush():
        if e.done:
            continue
        try:
            if not isinstance(orjson.loads(e.data), dict):
                return False
        except orjson.JSONDecodeError:
            return False
    return True


def rows_by_id(stack: Stack, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The usage rows of these request ids, once all are written (a stream's row lands just
    after its last byte)."""
    deadline = time.monotonic() + 30
    while True:
        rows = {r["request_id"]: r for r in stack.router.usage_rows() if r["request_id"] in ids}
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def judge(dialect: Dialect, ref: str, stream: bool, answer: Answer, row: dict[str, Any] | None,
          fallback: bool) -> str | None:  # fmt: skip
    """The problem with one answer and its usage row, or None."""
    how = ref.split("-", 1)[1] if ref != "m" else ""
    if row is None:
        return "no usage row"
    if answer.status >= 500 and answer.status != 502:
        return f"status {answer.status}"
    if row["status"] != answer.status:
        return f"row status {row['status']} for an answer of {answer.status}"
    for key in ("input_tokens", "output_tokens"):
        count = row[key]
        if count is not None and not 0 <= count <= MAX_TOKENS:
            return f"{key} booked as {count}"
    if not stream:
        if answer.status == 200:
            if how in HARD and not fallback:
                return "a broken reply was served as 200"
            if fallback and row["model"] != "m":
                return f"served by {row['model']}, not the healthy fallback"
            return None if row["error_class"] is None else f"200 booked as {row['error_class']}"
        return booked_as(error_message(dialect, orjson.loads(answer.body)), how, row)
    if answer.status != 200:
        return f"stream answered {answer.status}"
    if not clean_events(answer.body):
        return "a broken event was passed on to the caller"
    error = stream_error(dialect, answer.body)
    if error is not None:
        return booked_as(error, how, row)
    if how in ENDING:
        return f"a broken stream ended without the error event: {answer.body[-300:]!r}"
    return None if row["error_class"] is None else f"stream booked {row['error_class']}"


def booked_as(message: str | None, how: str, row: dict[str, Any]) -> str | None:
    """An error the caller got must name the upstream class its row books: BadResponse for a
    reply that is no reply; a parseable one may also say the upstream reported a failure (a
    wrong-typed ``error`` field is truthy)."""
    allowed = ("BadResponse",) if how in HARD + ENDING else ("BadResponse", "UpstreamError")
    named = next((c for c in allowed if message and f"({c})" in message), None)
    if named is None:
        return f"error {message!r} is not one of {allowed}"
    return None if row["error_class"] == named else f"{named} booked as {row['error_class']}"


def cases() -> list[tuple[Dialect, str, str, bool, bool]]:
    """(caller dialect, upstream, reference model, stream, fallback group)."""
    out = []
    for dialect, upstream in ROUTES:
        for ref in MODELS:
            stream = ref.startswith("e-")
            out.append((dialect, upstream, ref, stream, False))
            if ref.startswith("r-") and ref[2:] in HARD:
                out.append((dialect, upstream, ref, stream, True))
    return out


def test_hostile_replies_end_cleanly_with_a_usage_row_each(fuzz_stack: Stack) -> None:
    requests, ids = [], []
    stack = fuzz_stack
    for i, (dialect, upstream, ref, stream, fallback) in enumerate(cases()):
        group = fallback_group(upstream, ref) if fallback else group_name(upstream, ref)
        rid = f"hostile-reply-{i:04d}"
        ids.append(rid)
        body = valid_body(dialect, group, stream)
        requests.append((stack.url(dialect, group, stream), body, {"x-request-id": rid}))
    answers = asyncio.run(send_all(requests))
    rows = rows_by_id(stack, set(ids))
    problems = []
    fell_back = 0
    for case, rid, answer in zip(cases(), ids, answers, strict=True):
        dialect, upstream, ref, stream, fallback = case
        row = rows.get(rid)
        problem = judge(dialect, ref, stream, answer, row, fallback)
        if problem:
            problems.append(f"{dialect.value}->{upstream} {ref} stream={stream} "
                            f"fallback={fallback}: {problem}")  # fmt: skip
        fell_back += bool(fallback and row and row["fallback"])
    assert not problems, f"{len(problems)} of {len(answers)}:\n" + "\n".join(problems)
    assert fell_back > 0  # (later ones may find the broken target ejected already)
    assert "Traceback" not in stack.router.logs()
