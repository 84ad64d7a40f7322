"""Eligibility: each need met and unmet, skin isolation, bridges, toolOnly and output caps."""

from __future__ import annotations

import pytest

from switchyard.catalog import (
    BRIDGE_ONLY,
    ROUTER_PROOF,
    AccessFailure,
    BridgeDirection,
    Capability,
    Dialect,
    RequestNeeds,
    RouterBridge,
    RouterGroup,
    RouterModel,
    RouterProvider,
    RouterTarget,
    check,
)

ALL = list(Capability)


def setup(
    dialect=Dialect.OPENAI_CHAT,
    verified=(Capability.TEXT,),
    restricted=False,
    tool_only=False,
    bridges=(),
    router_verified=None,
    **model,
):
    m = RouterModel(
        name="m",
        model="up/m",
        verified=list(verified),
        router_verified=list(verified if router_verified is None else router_verified),
        bridges=[RouterBridge(direction=d, verified=list(v)) for d, v in bridges],
        **model,
    )
    p = RouterProvider(
        name="p", base_url="https://x/v1", dialect=dialect, auth_scheme="none", models=[m]
    )
    t = RouterTarget(provider="p", model="m", weight=1, tool_only=tool_only)
    g = RouterGroup(name="g", restricted=restricted, targets=[t])
    return p, m, t, g


def needs(inbound=Dialect.OPENAI_CHAT, *caps, capped=False, hosted=()):
    return RequestNeeds(
        inbound=inbound,
        capabilities=frozenset({Capability.TEXT, *caps}),
        capped=capped,
        hosted_tools=frozenset(hosted),
    )


@pytest.mark.parametrize(
    "cap", [c for c in Capability if c is not Capability.TEXT and c not in BRIDGE_ONLY]
)
def test_each_need_met_and_unmet(cap: Capability) -> None:
    proven = setup(verified=ALL)
    result = check(needs(Dialect.OPENAI_CHAT, cap), *proven)
    assert result.eligible and result.route == "native:openai-chat" and result.bridge is None

    unproven = setup(verified=[c for c in ALL if c is not cap])
    result = check(needs(Dialect.OPENAI_CHAT, cap), *unproven)
    assert not result.eligible
    assert result.missing == frozenset({cap})
    assert cap.value in (result.reason or "")


@pytest.mark.parametrize("cap", sorted(ROUTER_PROOF))
def test_router_proof_capabilities_need_the_router_layer_too_in_open_groups(
    cap: Capability,
) -> None:
    """Image input, large payloads, reasoning: direct evidence alone routes them only in a
    restricted (smoke) group, where the router-layer proof is gathered."""
    direct_only = setup(verified=ALL, router_verified=[Capability.TEXT])
    result = check(needs(Dialect.OPENAI_CHAT, cap), *direct_only)
    assert not result.eligible and result.missing == frozenset({cap})
    assert f"proven upstream but not yet through the router: {cap.value}" == result.reason
    smoke = setup(verified=ALL, router_verified=[Capability.TEXT], restricted=True)
    assert check(needs(Dialect.OPENAI_CHAT, cap), *smoke).eligible
    # the other needs do not wait for the router layer
    assert check(needs(Dialect.OPENAI_CHAT, Capability.TOOLS), *direct_only).eligible
    # router-layer rows alone never stand in for the direct proof
    router_only = setup(verified=[c for c in ALL if c is not cap], router_verified=ALL)
    assert check(needs(Dialect.OPENAI_CHAT, cap), *router_only).missing == frozenset({cap})


def test_text_is_always_required() -> None:
    result = check(needs(), *setup(verified=[Capability.TOOLS]))
    assert not result.eligible and result.missing == frozenset({Capability.TEXT})


@pytest.mark.parametrize("inbound", [Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC])
def test_chat_evidence_never_makes_another_skin_eligible(inbound: Dialect) -> None:
    result = check(needs(inbound), *setup(Dialect.OPENAI_CHAT, verified=ALL))
    assert not result.eligible
    assert "no enabled bridge" in (result.reason or "")


@pytest.mark.parametrize("provider_skin", [Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC])
def test_other_skins_evidence_never_serves_chat_callers(provider_skin: Dialect) -> None:
    assert not check(needs(Dialect.OPENAI_CHAT), *setup(provider_skin, verified=ALL))


def test_tool_only_targets_take_only_tool_requests() -> None:
    target = setup(verified=ALL, tool_only=True)
    plain = check(needs(), *target)
    assert not plain.eligible and "toolOnly" in (plain.reason or "")
    assert check(needs(Dialect.OPENAI_CHAT, Capability.TOOLS), *target).eligible


def test_capped_request_skips_a_target_that_ignores_caps() -> None:
    ignores = setup(verified=ALL, honors_max_tokens=False)
    assert not check(needs(capped=True), *ignores).eligible
    assert check(needs(capped=False), *ignores).eligible
    assert check(needs(capped=True), *setup(verified=ALL, honors_max_tokens=True)).eligible
    assert check(needs(capped=True), *setup(verified=ALL, honors_max_tokens=None)).eligible


def test_access_failure_blocks_everything() -> None:
    blocked = setup(verified=ALL, access_failure=AccessFailure.ENTITLEMENT)
    result = check(needs(), *blocked)
    assert not result.eligible and "Entitlement" in (result.reason or "")


def test_enabled_bridge_in_a_restricted_group_serves_what_the_target_proved_natively() -> None:
    target = setup(
        verified=[Capability.TEXT, Capability.TOOLS],
        restricted=True,
        bridges=[(BridgeDirection.RESPONSES_TO_CHAT, [])],
    )
    result = check(needs(Dialect.OPENAI_RESPONSES, Capability.TOOLS), *target)
    assert result.eligible and result.bridge is BridgeDirection.RESPONSES_TO_CHAT
    assert result.route == "bridge:responsesToChat"
    assert not check(needs(Dialect.OPENAI_RESPONSES, Capability.STREAMING), *target)


def test_open_group_uses_a_bridge_only_for_needs_proven_through_it() -> None:
    target = setup(
        verified=[Capability.TEXT, Capability.TOOLS, Capability.STREAMING],
        bridges=[(BridgeDirection.RESPONSES_TO_CHAT, [Capability.TEXT])],
    )
    assert check(needs(Dialect.OPENAI_RESPONSES), *target).eligible
    result = check(needs(Dialect.OPENAI_RESPONSES, Capability.TOOLS), *target)
    assert not result.eligible and result.missing == frozenset({Capability.TOOLS})


def test_bridge_evidence_never_exceeds_native_evidence() -> None:
    target = setup(
        verified=[Capability.TEXT],
        bridges=[(BridgeDirection.RESPONSES_TO_CHAT, [Capability.TEXT, Capability.TOOLS])],
    )
    assert not check(needs(Dialect.OPENAI_RESPONSES, Capability.TOOLS), *target)


PARALLEL = Capability.PARALLEL_TOOL_CALLS
R2C = BridgeDirection.RESPONSES_TO_CHAT
WITHOUT_PARALLEL = [c for c in ALL if c is not PARALLEL]


def test_parallel_tool_calls_are_no_need_natively() -> None:
    """A native caller's parallel_tool_calls reaches the target as sent: the target answers its
    own field, so unproven parallel calls never keep a native target out."""
    for restricted in (False, True):
        native = setup(verified=WITHOUT_PARALLEL, restricted=restricted)
        result = check(needs(Dialect.OPENAI_CHAT, Capability.TOOLS, PARALLEL), *native)
        assert result.eligible and result.route == "native:openai-chat"


def test_parallel_tool_calls_through_a_restricted_bridge_need_native_proof() -> None:
    ask = needs(Dialect.OPENAI_RESPONSES, Capability.TOOLS, PARALLEL)
    unproven = setup(verified=WITHOUT_PARALLEL, restricted=True, bridges=[(R2C, [])])
    result = check(ask, *unproven)
    assert not result.eligible and result.missing == frozenset({PARALLEL})
    assert result.reason == "not proven on bridge:responsesToChat: parallelToolCalls"
    proven = setup(verified=ALL, restricted=True, bridges=[(R2C, [])])
    assert check(ask, *proven).bridge is R2C


def test_parallel_tool_calls_through_an_open_bridge_need_bridge_proof() -> None:
    ask = needs(Dialect.OPENAI_RESPONSES, Capability.TOOLS, PARALLEL)
    bridge_lacks = setup(verified=ALL, bridges=[(R2C, WITHOUT_PARALLEL)])
    result = check(ask, *bridge_lacks)
    assert not result.eligible and result.missing == frozenset({PARALLEL})
    native_lacks = setup(verified=WITHOUT_PARALLEL, bridges=[(R2C, ALL)])
    assert check(ask, *native_lacks).missing == frozenset({PARALLEL})
    proven = setup(verified=ALL, bridges=[(R2C, ALL)])
    assert check(ask, *proven).eligible
    # without the ask the same bridged tool request needs no parallel-tools evidence
    assert check(needs(Dialect.OPENAI_RESPONSES, Capability.TOOLS), *bridge_lacks).eligible


def test_hosted_tools_need_the_native_skin_and_the_exact_tool() -> None:
    native = setup(Dialect.OPENAI_RESPONSES, verified=ALL, hosted_tools=["web_search"])
    assert check(needs(Dialect.OPENAI_RESPONSES, hosted=["web_search"]), *native).eligible
    other = check(needs(Dialect.OPENAI_RESPONSES, hosted=["file_search"]), *native)
    assert not other.eligible and "file_search" in (other.reason or "")
    bridged = setup(
        Dialect.OPENAI_CHAT,
        verified=ALL,
        restricted=True,
        bridges=[(BridgeDirection.RESPONSES_TO_CHAT, ALL)],
    )
    assert not check(needs(Dialect.OPENAI_RESPONSES, hosted=["web_search"]), *bridged)


def test_context_window_is_judged_like_any_need() -> None:
    from switchyard.catalog import DEFAULT_CONTEXT_WINDOW, estimate_prompt_tokens

    assert estimate_prompt_tokens(0) == 0
    assert 2500 <= estimate_prompt_tokens(10_000) <= 2500 * 1.0625
    assert estimate_prompt_tokens(524_288) == DEFAULT_CONTEXT_WINDOW  # fits, exactly
    assert estimate_prompt_tokens(524_292) > DEFAULT_CONTEXT_WINDOW
