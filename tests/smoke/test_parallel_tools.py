"""The parallel-tools probe against the fake upstream: a model that calls both tools in one turn
passes on every dialect, a model that makes one call fails, and each dialect asks for parallel
calls in its own field, the one the router reads (wire.parallel)."""

from __future__ import annotations

import httpx
import pytest

from switchyard.catalog import (
    Capability,
    Dialect,
    EvidenceRow,
    Layer,
    ProbeResult,
    ProbeTask,
    recommend,
)
from switchyard.smoke import ProbeTarget, run_probes
from switchyard.wire import asks_parallel_tools

TASK = [ProbeTask.PARALLEL_TOOLS]


async def _rows(base: str, model: str, dialects: list[Dialect]) -> list[EvidenceRow]:
    report = await run_probes(ProbeTarget(base, Layer.DIRECT, model, "sk-x", 10), dialects, TASK)
    return report.rows


async def test_two_calls_in_one_turn_pass_on_every_dialect(upstream: str) -> None:
    rows = await _rows(upstream, "good", list(Dialect))
    assert {r.dialect: r.result for r in rows} == dict.fromkeys(Dialect, ProbeResult.PASS)
    assert all(r.detail == "two function tools, one turn" for r in rows)
    for dialect in Dialect:
        verified = recommend(rows, dialect, "run-1", "m").verified
        assert verified.capabilities() == [Capability.PARALLEL_TOOL_CALLS]


async def test_one_call_fails_and_proves_nothing(upstream: str) -> None:
    rows = await _rows(upstream, "one-call", list(Dialect))
    for row in rows:
        assert (row.result, row.status_code) == (ProbeResult.FAIL, 200), row
        assert row.detail == "1 tool call in the turn, not 2 or more"
        assert recommend(rows, row.dialect, "run-1", "m").verified.capabilities() == []


async def test_a_model_without_tools_fails(upstream: str) -> None:
    rows = await _rows(upstream, "plain", [Dialect.OPENAI_CHAT])
    assert [(r.result, r.detail) for r in rows] == [(ProbeResult.FAIL, "no tool call")]


@pytest.mark.parametrize("dialect", list(Dialect))
async def test_the_probe_asks_in_the_dialects_own_field(upstream: str, dialect: Dialect) -> None:
    root = upstream.removesuffix("/v1")
    async with httpx.AsyncClient() as http:
        await http.delete(f"{root}/_mock/requests")
        await _rows(upstream, "good", [dialect])
        log = await http.get(f"{root}/_mock/requests", params={"model": "good"})
    (logged,) = log.json()["requests"]
    body = logged["body"]
    # the router's rule reads the probe's request as an explicit ask (Gemini has no switch)
    assert asks_parallel_tools(dialect, body) is (dialect is not Dialect.GOOGLE)
    expected = {
        Dialect.OPENAI_CHAT: ("parallel_tool_calls", True),
        Dialect.OPENAI_RESPONSES: ("parallel_tool_calls", True),
        Dialect.ANTHROPIC: ("tool_choice", {"type": "auto", "disable_parallel_tool_use": False}),
    }
    if dialect in expected:
        field, value = expected[dialect]
        assert body[field] == value and len(body["tools"]) == 2
    else:
        assert "parallel_tool_calls" not in body
        assert len(body["tools"][0]["functionDeclarations"]) == 2
