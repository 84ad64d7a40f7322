"""Each pinned agent CLI, as installed, against a real router and the fake upstream: natively
and through every bridge its skin can use. A cell checks the answer the CLI prints, the
router's usage rows (status, skins, bridge), the upstream path that served it, and that the
CLI sent nothing off the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchyard.wire import asks_parallel_tools

from .agents import AGENTS
from .sink import Sink
from .stack import CALLER, CELLS, MARKER, SKINS, UPSTREAM_PATH, Cell, ClientStack

pytestmark = pytest.mark.clients

INBOUND = {"responses": "openai-responses", "messages": "anthropic", "chat": "openai-chat"}
# fields each client sends by default that its bridge drops (and counts)
DROPPED = {
    "codex-chat": "client_metadata",
    "claude-chat": "context_management",
    "claude-opus-4-6": "context_management",
}
# tools the client marks defer_loading: a Chat target must not see them before a tool search
DEFERRED = {"claude-opus-4-6": "DeferredToolPlaceholder"}
# whether the client asks for parallel tool calls explicitly (wire.asks_parallel_tools): Codex
# does on every tool request, so through a bridge it needs parallelToolCalls evidence
PARALLEL_ASK = {"codex": True, "claude-code": False, "opencode": False}


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.group)
def test_text_turn(cell: Cell, stack: ClientStack, sink: Sink, tmp_path: Path) -> None:
    agent = AGENTS[cell.agent]
    before = len(sink.attempts)
    run = agent.run(tmp_path, stack.router.url, cell.group, CALLER, "Say hello.", sink.url)
    assert run.returncode == 0, run.explain()
    assert cell.reply in run.stdout, run.explain()
    assert run.off_machine == [], run.off_machine
    # the sink sees CONNECT host:port or absolute URLs for other hosts (must be none) and
    # paths for requests addressed to it as a loopback registry (opencode's plugin install)
    assert [a for a in sink.attempts[before:] if not a.startswith("/")] == []

    rows = [r for r in stack.router.wait_usage_rows(1) if r["group"] == cell.group]
    assert rows, "no usage row for the cell's group"
    for row in rows:
        assert row["status"] == 200, row
        assert row["inbound_skin"] == INBOUND[agent.skin]
        assert row["target_skin"] == SKINS[cell.skin].value
        assert row["bridge_direction"] == cell.bridge
        assert row["provider"] == cell.skin and row["model"] == cell.group
        assert row["input_tokens"] and row["output_tokens"]
        assert row["stream"] is True  # every agent streams by default

    upstream = stack.mock.requests(cell.served)
    assert upstream, "the upstream never saw the cell's model"
    assert {r["path"] for r in upstream} == {UPSTREAM_PATH[cell.skin]}
    # the client called only routes the router serves (no 404/405 or framing refusal)
    assert "switchyard_rejected_requests_total{" not in stack.router.metrics()
    if cell.group in DEFERRED:
        offered = {t["function"]["name"] for r in upstream for t in r["body"].get("tools", [])}
        assert "Bash" in offered and DEFERRED[cell.group] not in offered

    if cell.group in DROPPED:
        field = DROPPED[cell.group]
        stack.router.wait_metric(
            rf'switchyard_bridge_dropped_fields_total\{{bridge_direction="{cell.bridge}",'
            rf'field="{field}"\}} [1-9]'
        )


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.group)
def test_tool_round_trip(cell: Cell, stack: ClientStack, sink: Sink, tmp_path: Path) -> None:
    """The upstream asks for the agent's shell tool; the agent runs it and sends the result
    back; the final answer quotes the result, which only the shell could have produced."""
    agent = AGENTS[cell.agent]
    group = cell.tools_group
    before = len(sink.attempts)
    run = agent.run(tmp_path, stack.router.url, group, CALLER, "Run the marker command.", sink.url)
    assert run.returncode == 0, run.explain()
    # the answer quotes the whole tool result (Codex wraps the output in a few status lines)
    assert "The command printed" in run.stdout, run.explain()
    answer = run.stdout.split("The command printed", 1)[1]
    assert MARKER in answer and f"via {cell.bridge or 'native'}" in answer, run.explain()
    assert run.off_machine == [], run.off_machine
    assert [a for a in sink.attempts[before:] if not a.startswith("/")] == []

    upstream = stack.mock.requests(cell.tools_served)
    assert {r["path"] for r in upstream} == {UPSTREAM_PATH[cell.skin]}
    assert any(MARKER in str(r["body"]) for r in upstream), "no tool result reached upstream"
    # every bridge carries the ask (or its absence) to the target's own field
    asked = {
        asks_parallel_tools(SKINS[cell.skin], r["body"]) for r in upstream if r["body"].get("tools")
    }
    assert asked == {PARALLEL_ASK[cell.agent]}, cell
    rows = [r for r in stack.router.wait_usage_rows(2) if r["group"] == group]
    assert len(rows) >= 2, rows  # the tool call, then the answer
    assert {(r["status"], r["bridge_direction"]) for r in rows} == {(200, cell.bridge)}
