"""Probes against a real fake-upstream process, one behaviour at a time, on every dialect.

Each test checks the rows AND what the catalog's mapping makes of them (`recommended`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from switchyard.catalog import (
    TASK_PROVES,
    Capability,
    Dialect,
    ErrorClass,
    EvidenceRow,
    LargePayload,
    Layer,
    ModelStatus,
    ProbeResult,
    ProbeTask,
    recommend,
)
from switchyard.smoke import TASKS, ProbeOptions, ProbeTarget, run_probes

from .conftest import PLANTED_KEY, free_port

# hosted tools are a per-provider extra, not a capability (tests/smoke/test_hosted_tools.py)
ALL_TASKS = [t for t in TASKS if t is not ProbeTask.HOSTED_TOOLS]
# inputs a dialect has no part type for: their probe is a skip and proves nothing
UNDEFINED = {d: {ProbeTask.AUDIO_INPUT} for d in (Dialect.ANTHROPIC, Dialect.OPENAI_RESPONSES)}
SMALL = ProbeOptions(large_payload=LargePayload(target_bytes=32768, tool_count=8, max_tokens=32))


async def probe(
    base: str,
    model: str,
    tasks: Sequence[ProbeTask] = ALL_TASKS,
    dialects: Sequence[Dialect] = tuple(Dialect),
    key: str | None = "sk-anything",
    seconds: float = 20.0,
    options: ProbeOptions = SMALL,
) -> list[EvidenceRow]:
    report = await run_probes(
        ProbeTarget(base, Layer.DIRECT, model, key, seconds), dialects, tasks, options
    )
    return report.rows


def decisive(rows: Sequence[EvidenceRow], dialect: Dialect) -> dict[ProbeTask, EvidenceRow]:
    return {r.task: r for r in rows if r.dialect is dialect}


def rec(rows: Sequence[EvidenceRow], dialect: Dialect) -> ModelStatus:
    return recommend(rows, dialect, "run-1", "m")


@pytest.mark.parametrize("dialect", list(Dialect))
async def test_capable_model_passes_everything(upstream: str, dialect: Dialect) -> None:
    rows = await probe(upstream, "good", dialects=[dialect])
    last = decisive(rows, dialect)
    assert set(last) == set(ALL_TASKS)
    undefined = UNDEFINED.get(dialect, set())
    expected = {t: ProbeResult.SKIP if t in undefined else ProbeResult.PASS for t in ALL_TASKS}
    assert {t: r.result for t, r in last.items()} == expected
    status = rec(rows, dialect)
    unprovable = {Capability.VIDEO_INPUT} | {TASK_PROVES[t] for t in undefined}
    assert set(status.verified.capabilities()) == set(Capability) - unprovable
    assert status.honors_max_tokens is True
    assert status.access_failure is None
    reasoning = status.verified.reasoning
    assert reasoning is not None
    native = {"anthropic": "anthropic-budget", "google": "gemini-budget"}
    assert reasoning.detail == native.get(dialect.value, "openai-effort")
    for row in rows:
        if row.result is ProbeResult.SKIP:
            continue  # nothing was sent
        assert row.status_code == 200 and row.latency_ms is not None and row.at is not None
    big = last[ProbeTask.LARGE_PAYLOAD]
    assert big.detail is not None and "requestBytes=" in big.detail and "toolCount=8" in big.detail
    assert big.input_tokens is not None and big.input_tokens > 5000


async def test_reasoning_model_empty_under_tiny_cap_is_info_then_pass(upstream: str) -> None:
    rows = await probe(upstream, "thinker", [ProbeTask.TEXT, ProbeTask.MAX_TOKENS_CAP])
    for dialect in Dialect:
        text_rows = [r for r in rows if r.dialect is dialect and r.task is ProbeTask.TEXT]
        assert [r.result for r in text_rows] == [ProbeResult.INFO, ProbeResult.PASS]
        assert text_rows[0].detail is not None and "empty content" in text_rows[0].detail
        cap = decisive(rows, dialect)[ProbeTask.MAX_TOKENS_CAP]
        assert cap.result is ProbeResult.INFO
        status = rec(rows, dialect)
        assert status.verified.text is not None  # the realistic budget proved text
        assert status.honors_max_tokens is None  # unknown, not a false "ignores caps"


async def test_model_ignoring_caps_fails_the_cap_row(upstream: str) -> None:
    rows = await probe(upstream, "capless", [ProbeTask.TEXT, ProbeTask.MAX_TOKENS_CAP])
    for dialect in Dialect:
        cap = decisive(rows, dialect)[ProbeTask.MAX_TOKENS_CAP]
        assert cap.result is ProbeResult.FAIL
        assert cap.output_tokens is not None and cap.output_tokens > 1
        assert rec(rows, dialect).honors_max_tokens is False


async def test_capabilities_off_are_fails_and_stay_omitted(upstream: str) -> None:
    rows = await probe(upstream, "plain")
    for dialect in Dialect:
        last = decisive(rows, dialect)
        for task in (
            ProbeTask.AUTO_TOOLS,
            ProbeTask.FORCED_TOOLS,
            ProbeTask.STRUCTURED_OUTPUTS,
            ProbeTask.STREAMING,
            ProbeTask.IMAGE_INPUT,
            ProbeTask.FILE_INPUT,
            ProbeTask.REASONING_EFFORT,
            ProbeTask.USAGE,
        ):
            assert last[task].result is ProbeResult.FAIL, (dialect, task)
        audio = last[ProbeTask.AUDIO_INPUT]
        assert audio.result is (ProbeResult.SKIP if dialect in UNDEFINED else ProbeResult.FAIL)
        for task in (ProbeTask.AUDIO_INPUT, ProbeTask.FILE_INPUT):
            if last[task].result is ProbeResult.FAIL:  # refused upstream, as real services do
                assert (last[task].status_code, last[task].error_class) == (
                    400, ErrorClass.BAD_REQUEST)  # fmt: skip
        assert last[ProbeTask.TEXT].result is ProbeResult.PASS
        assert last[ProbeTask.STREAMING].error_class is ErrorClass.BAD_RESPONSE
        assert rec(rows, dialect).verified.capabilities() == [
            Capability.TEXT,
            Capability.LARGE_PAYLOAD,
        ]


async def test_forced_tool_choice_needs_its_own_evidence(upstream: str) -> None:
    rows = await probe(upstream, "autotools-only", [ProbeTask.AUTO_TOOLS, ProbeTask.FORCED_TOOLS])
    for dialect in Dialect:
        last = decisive(rows, dialect)
        assert last[ProbeTask.AUTO_TOOLS].result is ProbeResult.PASS
        assert last[ProbeTask.FORCED_TOOLS].result is ProbeResult.FAIL
        assert last[ProbeTask.FORCED_TOOLS].detail == "a different tool was called"
        verified = rec(rows, dialect).verified
        assert verified.tools is not None and verified.tool_choice is None


async def test_rejected_capability_is_a_bad_request_fail(upstream: str) -> None:
    rows = await probe(upstream, "rejecting", [ProbeTask.TEXT, ProbeTask.IMAGE_INPUT])
    for dialect in Dialect:
        image = decisive(rows, dialect)[ProbeTask.IMAGE_INPUT]
        assert (image.result, image.status_code, image.error_class) == (
            ProbeResult.FAIL, 400, ErrorClass.BAD_REQUEST)  # fmt: skip
        assert rec(rows, dialect).access_failure is None


async def test_image_text_must_come_back(upstream: str) -> None:
    ok = ProbeOptions(image_text="SWITCHYARD 42")
    rows = await probe(upstream, "receipt", [ProbeTask.IMAGE_INPUT], options=ok)
    assert all(r.result is ProbeResult.PASS for r in rows)
    wrong = ProbeOptions(image_text="OTHER TEXT")
    rows = await probe(upstream, "receipt", [ProbeTask.IMAGE_INPUT], options=wrong)
    assert all(r.result is ProbeResult.FAIL and r.detail == "expected text missing" for r in rows)


async def test_document_text_must_come_back(upstream: str) -> None:
    """The fake reads the PDF's own text, so only a document that shows it passes."""
    ok = ProbeOptions(file_text="Marigold 7")
    rows = await probe(upstream, "good", [ProbeTask.FILE_INPUT], options=ok)
    assert {r.dialect: r.result for r in rows} == dict.fromkeys(Dialect, ProbeResult.PASS)
    assert all(r.detail == "pdf, text read back" for r in rows)


async def test_audio_probe_passes_where_audio_input_is_defined(upstream: str) -> None:
    rows = await probe(upstream, "good", [ProbeTask.AUDIO_INPUT])
    results = {r.dialect: r.result for r in rows}
    assert results == {
        Dialect.OPENAI_CHAT: ProbeResult.PASS,  # input_audio
        Dialect.GOOGLE: ProbeResult.PASS,  # inlineData audio/wav
        Dialect.OPENAI_RESPONSES: ProbeResult.SKIP,
        Dialect.ANTHROPIC: ProbeResult.SKIP,
    }
    skipped = [r for r in rows if r.result is ProbeResult.SKIP]
    assert all(r.status_code is None and "not defined" in str(r.detail) for r in skipped)


async def test_expected_text_is_required(upstream: str) -> None:
    rows = await probe(
        upstream, "good", [ProbeTask.TEXT], options=ProbeOptions(expected_text="PONG")
    )
    assert all(r.result is ProbeResult.FAIL for r in rows)


@pytest.mark.parametrize(
    ("model", "key", "error_class", "status", "blocks"),
    [
        ("keyed", "sk-wrong", ErrorClass.AUTH_FAILED, 401, True),
        ("entitled", None, ErrorClass.ENTITLEMENT, 403, True),
        ("forbidden", None, ErrorClass.FORBIDDEN, 403, True),
        ("limited", None, ErrorClass.RATE_LIMITED, 429, False),
        ("broken", None, ErrorClass.UPSTREAM_ERROR, 500, False),
        ("overloaded", None, ErrorClass.UPSTREAM_ERROR, 503, False),
    ],
)
async def test_access_classes(
    upstream: str, model: str, key: str | None, error_class: ErrorClass, status: int, blocks: bool
) -> None:
    tasks = [ProbeTask.ACCESS, ProbeTask.TEXT, ProbeTask.STREAMING]
    rows = await probe(upstream, model, tasks, key=key)
    for dialect in Dialect:
        last = decisive(rows, dialect)
        first = last[ProbeTask.ACCESS]
        # Google answers a rejected API key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID)
        expected = 400 if dialect is Dialect.GOOGLE and status == 401 else status
        assert (first.result, first.status_code, first.error_class) == (
            ProbeResult.FAIL, expected, error_class)  # fmt: skip
        status_doc = rec(rows, dialect)
        if blocks:
            assert status_doc.access_failure is not None
            assert status_doc.access_failure.value == error_class.value
            # the rest was not sent: skipped, naming the blocker
            assert last[ProbeTask.TEXT].result is ProbeResult.SKIP
            assert last[ProbeTask.TEXT].status_code is None
        else:
            assert status_doc.access_failure is None
            assert last[ProbeTask.TEXT].error_class is error_class
        assert status_doc.verified.capabilities() == []


async def test_right_key_passes(upstream: str) -> None:
    rows = await probe(upstream, "keyed", [ProbeTask.ACCESS], key=PLANTED_KEY)
    assert all(r.result is ProbeResult.PASS for r in rows)


async def test_model_not_found_on_a_skin_that_does_not_serve_it(upstream: str) -> None:
    rows = await probe(upstream, "chat-only", [ProbeTask.ACCESS, ProbeTask.TEXT])
    assert decisive(rows, Dialect.OPENAI_CHAT)[ProbeTask.TEXT].result is ProbeResult.PASS
    for dialect in (Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC):
        row = decisive(rows, dialect)[ProbeTask.ACCESS]
        assert (row.status_code, row.error_class) == (404, ErrorClass.MODEL_NOT_FOUND)
        assert rec(rows, dialect).access_failure is not None
    assert rec(rows, Dialect.OPENAI_CHAT).access_failure is None


async def test_connect_error() -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"
    rows = await probe(base, "good", [ProbeTask.ACCESS, ProbeTask.TEXT], [Dialect.OPENAI_CHAT])
    assert rows[0].error_class is ErrorClass.CONNECT_ERROR and rows[0].status_code is None
    assert rows[1].result is ProbeResult.SKIP


async def test_timeout(upstream: str) -> None:
    rows = await probe(upstream, "slow", [ProbeTask.TEXT], [Dialect.OPENAI_CHAT], seconds=0.5)
    assert (rows[0].result, rows[0].error_class) == (ProbeResult.FAIL, ErrorClass.TIMEOUT)


@pytest.mark.parametrize("model", ["cut", "erroring"])
async def test_stream_broken_midway(upstream: str, model: str) -> None:
    rows = await probe(upstream, model, [ProbeTask.TEXT, ProbeTask.STREAMING])
    for dialect in Dialect:
        last = decisive(rows, dialect)
        assert last[ProbeTask.TEXT].result is ProbeResult.PASS
        stream = last[ProbeTask.STREAMING]
        assert stream.result is ProbeResult.FAIL
        assert stream.error_class in (ErrorClass.UPSTREAM_ERROR, ErrorClass.BAD_RESPONSE)
        assert rec(rows, dialect).verified.streaming is None


async def test_tokens_spent_counts_every_request(upstream: str) -> None:
    report = await run_probes(
        ProbeTarget(upstream, Layer.DIRECT, "thinker", None, 10),
        [Dialect.OPENAI_CHAT],
        [ProbeTask.TEXT],
    )
    rows = report.rows
    assert len(rows) == 2 and report.dialects[0].requests == 2
    assert report.tokens_spent == sum((r.input_tokens or 0) + (r.output_tokens or 0) for r in rows)
    assert report.tokens_spent > 0


async def test_large_payload_refused_by_a_small_context_model(upstream: str) -> None:
    big = ProbeOptions(large_payload=LargePayload(target_bytes=131072, tool_count=8, max_tokens=32))
    rows = await probe(
        upstream, "small-context", [ProbeTask.TEXT, ProbeTask.LARGE_PAYLOAD], options=big
    )
    for dialect in Dialect:
        last = decisive(rows, dialect)
        assert last[ProbeTask.TEXT].result is ProbeResult.PASS
        large = last[ProbeTask.LARGE_PAYLOAD]
        assert (large.result, large.status_code, large.error_class) == (
            ProbeResult.FAIL, 413, ErrorClass.BAD_REQUEST)  # fmt: skip
        assert large.detail is not None and "requestBytes=13" in large.detail
        status = rec(rows, dialect)
        assert status.verified.large_payload is None and status.access_failure is None
    # under the limit the same model passes: the refusal is about size only
    rows = await probe(upstream, "small-context", [ProbeTask.LARGE_PAYLOAD])
    assert all(r.result is ProbeResult.PASS for r in rows)
