"""The probe -> catalog mapping table, one test per row, plus ordering and staleness rules."""

from __future__ import annotations

import pytest

from switchyard.catalog import (
    AccessFailure,
    BridgeDirection,
    Capability,
    Dialect,
    EvidenceRow,
    ProbeTask,
    derive_model_status,
    recommend,
)
from tests.catalog.factories import row, smoke_run

PM = ("p", "m")


def status_of(*runs, dialect=Dialect.OPENAI_CHAT):
    return derive_model_status("m", dialect, list(runs), PM)


@pytest.mark.parametrize(
    ("task", "capability"),
    [
        ("text", Capability.TEXT),
        ("auto-tools", Capability.TOOLS),
        ("forced-tools", Capability.TOOL_CHOICE),
        ("parallel-tools", Capability.PARALLEL_TOOL_CALLS),
        ("structured-outputs", Capability.STRUCTURED_OUTPUTS),
        ("streaming", Capability.STREAMING),
        ("image-input", Capability.IMAGE_INPUT),
        ("reasoning-effort", Capability.REASONING),
        ("usage", Capability.USAGE),
        ("large-payload", Capability.LARGE_PAYLOAD),
    ],
)
def test_pass_proves_exactly_its_capability(task: str, capability: Capability) -> None:
    status = status_of(smoke_run("r1", [row(task)]))
    assert status.verified.capabilities() == [capability]
    proof = status.verified.proof(capability)
    assert proof is not None and proof.smoke_run == "r1"


@pytest.mark.parametrize("result", ["fail", "skip", "info"])
@pytest.mark.parametrize(
    "task",
    [
        "text",
        "auto-tools",
        "forced-tools",
        "parallel-tools",
        "structured-outputs",
        "streaming",
        "image-input",
        "reasoning-effort",
        "usage",
        "large-payload",
    ],
)
def test_skip_fail_info_prove_nothing(task: str, result: str) -> None:
    status = status_of(smoke_run("r1", [row(task, result)]))
    assert status.verified.capabilities() == []


@pytest.mark.parametrize(
    ("result", "honors"), [("pass", True), ("fail", False), ("info", None), ("skip", None)]
)
def test_max_tokens_cap_sets_honors_max_tokens(result: str, honors: bool | None) -> None:
    status = status_of(smoke_run("r1", [row("max-tokens-cap", result)]))
    assert status.honors_max_tokens is honors
    assert status.verified.capabilities() == []


def test_detail_records_the_tested_control_and_schema_form() -> None:
    status = status_of(
        smoke_run(
            "r1",
            [
                row("reasoning-effort", detail="openai-effort"),
                row("structured-outputs", detail="json_schema"),
            ],
        )
    )
    assert status.verified.reasoning is not None
    assert status.verified.reasoning.detail == "openai-effort"
    assert status.verified.structured_outputs is not None
    assert status.verified.structured_outputs.detail == "json_schema"


@pytest.mark.parametrize(
    ("status_code", "error_class"),
    [(401, "AuthFailed"), (403, "Entitlement"), (403, "Forbidden"), (404, "ModelNotFound")],
)
def test_access_failures_block_the_target(status_code: int, error_class: str) -> None:
    run = smoke_run("r1", [row("text", "fail", statusCode=status_code, errorClass=error_class)])
    status = status_of(run)
    assert status.access_failure == AccessFailure(error_class)


def test_rate_limits_and_upstream_errors_do_not_block() -> None:
    run = smoke_run(
        "r1",
        [
            row("text", "fail", statusCode=429, errorClass="RateLimited"),
            row("usage", "fail", statusCode=502, errorClass="UpstreamError"),
        ],
    )
    assert status_of(run).access_failure is None


def test_a_newer_passing_run_lifts_the_access_block() -> None:
    old = smoke_run("r1", [row("text", "fail", statusCode=401, errorClass="AuthFailed")], minutes=0)
    new = smoke_run("r2", [row("text")], minutes=5)
    status = status_of(new, old)  # input order must not matter
    assert status.access_failure is None
    assert status.verified.capabilities() == [Capability.TEXT]
    assert status.smoke_runs == ["r1", "r2"]


def test_newest_row_per_task_wins_and_other_tasks_keep_their_evidence() -> None:
    first = smoke_run("r1", [row("text"), row("auto-tools")], minutes=0)
    second = smoke_run("r2", [row("auto-tools", "fail")], minutes=5)
    status = status_of(second, first)
    assert status.verified.capabilities() == [Capability.TEXT]


def test_incomplete_runs_are_ignored() -> None:
    status = status_of(smoke_run("r1", [row("text")], complete=False))
    assert status.verified.capabilities() == []


def test_evidence_of_an_older_provider_generation_is_replaced_by_the_newer() -> None:
    old = smoke_run("r1", [row("text"), row("auto-tools")], generation=1, minutes=0)
    new = smoke_run("r2", [row("text")], generation=2, minutes=5)
    status = status_of(old, new)
    assert status.verified.capabilities() == [Capability.TEXT]
    assert status.smoke_runs == ["r2"]


def test_old_generation_evidence_serves_until_a_new_run_completes() -> None:
    old = smoke_run("r1", [row("text"), row("auto-tools")], generation=1)
    pending = smoke_run("r2", [], generation=2, complete=False, minutes=5)
    assert status_of(old, pending).verified.capabilities() == [Capability.TEXT, Capability.TOOLS]


@pytest.mark.parametrize("other", [Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC])
def test_evidence_never_crosses_skins(other: Dialect) -> None:
    run = smoke_run(
        "r1", [row("text", dialect=other.value), row("auto-tools", dialect=other.value)]
    )
    assert status_of(run).verified.capabilities() == []
    assert status_of(run, dialect=other).verified.capabilities() == [
        Capability.TEXT,
        Capability.TOOLS,
    ]


def test_runs_for_other_targets_are_ignored() -> None:
    run = smoke_run("r1", [row("text")], provider="other")
    assert status_of(run).verified.capabilities() == []


def test_bridge_evidence_is_kept_per_direction_and_upstream() -> None:
    routed = smoke_run(
        "b1",
        [
            row(
                "text",
                dialect="openai-responses",
                layer="router",
                selectedUpstream="p/m",
                bridgeDirection="responsesToChat",
            ),
            row(
                "auto-tools",
                "fail",
                dialect="openai-responses",
                layer="router",
                selectedUpstream="p/m",
                bridgeDirection="responsesToChat",
            ),
            row(
                "text",
                dialect="anthropic",
                layer="router",
                selectedUpstream="q/m",
                bridgeDirection="messagesToChat",
            ),
            row("text", layer="router", selectedUpstream="p/m"),  # native through the router
        ],
        group="smoke",
    )
    status = status_of(routed)
    assert status.verified.capabilities() == []  # router rows never prove native capabilities
    assert [b.direction for b in status.bridges] == [BridgeDirection.RESPONSES_TO_CHAT]
    assert status.bridges[0].verified.capabilities() == [Capability.TEXT]


def test_parallel_tools_through_a_bridge_prove_it_for_that_bridge_only() -> None:
    """The bridge shape of parallel tool calls is proven by a router-layer row through that
    bridge; a failed one (the bridge or target made one call) proves nothing there."""
    through = {"layer": "router", "selectedUpstream": "p/m"}
    routed = smoke_run(
        "b1",
        [
            row("parallel-tools", dialect="openai-responses", bridgeDirection="responsesToChat",
                **through),
            row("parallel-tools", "fail", dialect="anthropic", bridgeDirection="messagesToChat",
                **through),
        ],
        group="smoke",
    )  # fmt: skip
    status = status_of(smoke_run("d1", [row("parallel-tools")]), routed)
    assert status.verified.capabilities() == [Capability.PARALLEL_TOOL_CALLS]
    bridges = {b.direction: b.verified.capabilities() for b in status.bridges}
    assert bridges == {
        BridgeDirection.RESPONSES_TO_CHAT: [Capability.PARALLEL_TOOL_CALLS],
        BridgeDirection.MESSAGES_TO_CHAT: [],
    }


def test_native_router_rows_of_this_target_are_its_router_proof() -> None:
    """routerVerified: router-layer rows this target served on its own dialect, no bridge;
    rows served by another target, through a bridge, or failed prove nothing here."""
    direct = smoke_run("d1", [row("text"), row("image-input"), row("reasoning-effort")])
    routed = smoke_run(
        "r1",
        [
            row("image-input", layer="router", selectedUpstream="p/m"),
            row("reasoning-effort", "fail", layer="router", selectedUpstream="p/m"),
            row("large-payload", layer="router", selectedUpstream="q/m"),
            row("usage", dialect="openai-responses", layer="router", selectedUpstream="p/m",
                bridgeDirection="responsesToChat"),
        ],
        group="smoke",
    )  # fmt: skip
    status = status_of(direct, routed)
    assert status.router_verified.capabilities() == [Capability.IMAGE_INPUT]
    assert status.router_verified.image_input.smoke_run == "r1"  # type: ignore[union-attr]
    assert set(status.verified.capabilities()) == {
        Capability.TEXT, Capability.IMAGE_INPUT, Capability.REASONING,
    }  # fmt: skip
    assert status_of(direct).router_verified.capabilities() == []


def test_hosted_tools_are_proven_by_name() -> None:
    run = smoke_run(
        "r1",
        [
            row("hosted-tools", detail="web_search"),
            row("hosted-tools", "fail", detail="file_search"),
        ],
    )
    assert [h.name for h in status_of(run).hosted_tools] == ["web_search"]


def test_recommend_uses_the_same_mapping_for_one_runs_rows() -> None:
    rows = [
        EvidenceRow.model_validate(r)
        for r in [row("text"), row("max-tokens-cap", "fail"), row("forced-tools")]
    ]
    rec = recommend(rows, Dialect.OPENAI_CHAT, "probe", "m")
    assert rec.verified.capabilities() == [Capability.TEXT, Capability.TOOL_CHOICE]
    assert rec.honors_max_tokens is False


def test_every_probe_task_that_proves_is_covered() -> None:
    from switchyard.catalog import TASK_PROVES

    assert set(TASK_PROVES) == set(ProbeTask) - {
        ProbeTask.MAX_TOKENS_CAP,
        ProbeTask.ACCESS,
        ProbeTask.HOSTED_TOOLS,
    }
