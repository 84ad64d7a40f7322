"""Render: determinism, evidence-gated weights, and errors that name object and field."""

from __future__ import annotations

import random

import pytest

from switchyard.catalog import BridgeDirection, Capability, CatalogError, Stage
from switchyard.render import render
from tests.catalog.factories import group, provider, row, smoke_run


def catalog():
    providers = [provider("p", models=("m", "n")), provider("q")]
    runs = [
        smoke_run("r1", [row("text"), row("auto-tools"), row("max-tokens-cap", "fail")]),
        smoke_run("r2", [row("text")], provider="q", model="m"),
        smoke_run("r3", [row("text", "fail", statusCode=401, errorClass="AuthFailed")], model="n"),
    ]
    groups = [
        group("a", [{"provider": "p", "model": "m", "weight": 3}, {"provider": "q", "model": "m"}]),
        group("b", [{"provider": "p", "model": "n"}]),
    ]
    return providers, groups, runs


def test_same_input_gives_byte_identical_output_whatever_the_order() -> None:
    providers, groups, runs = catalog()
    first = render(providers, groups, runs).to_json()
    for seed in range(5):
        rng = random.Random(seed)
        shuffled = [list(x) for x in (providers, groups, runs)]
        for x in shuffled:
            rng.shuffle(x)
        assert render(*shuffled).to_json() == first


def test_revision_is_derived_from_content() -> None:
    providers, groups, runs = catalog()
    base = render(providers, groups, runs)
    assert len(base.revision) == 16
    changed = render(providers, [group("a", [{"provider": "p", "model": "m", "weight": 4}])], runs)
    assert changed.revision != base.revision
    assert render(providers, groups, runs).revision == base.revision


def test_evidence_lands_in_the_config() -> None:
    config = render(*catalog())
    m = config.provider("p").model("m")
    assert m.verified == [Capability.TEXT, Capability.TOOLS]
    assert m.honors_max_tokens is False
    assert config.provider("p").model("n").access_failure == "AuthFailed"


def test_blocked_or_unproven_targets_render_with_weight_zero() -> None:
    config = render(*catalog())
    assert [(t.provider, t.weight, t.stage) for t in config.group("a").targets] == [
        ("p", 3, Stage.ACTIVE),
        ("q", 100, Stage.ACTIVE),
    ]
    assert [(t.weight, t.stage) for t in config.group("b").targets] == [(0, Stage.CATALOG_ONLY)]


def test_required_capabilities_gate_the_weight() -> None:
    providers, _, runs = catalog()
    g = group(
        "a",
        [{"provider": "q", "model": "m"}],
        promotion={"requiredCapabilities": ["text", "tools"]},
    )
    assert render(providers, [g], runs).group("a").targets[0].weight == 0


def test_weighted_groups_take_weights_from_promotion_status_capped_by_spec() -> None:
    providers, _, runs = catalog()
    status = {
        "targets": [
            {"provider": "p", "model": "m", "stage": "Limited", "step": 1, "effectiveWeight": 500},
            {"provider": "q", "model": "m", "stage": "SmokeOnly", "effectiveWeight": 50},
        ]
    }
    g = group(
        "a",
        [{"provider": "p", "model": "m", "weight": 40}, {"provider": "q", "model": "m"}],
        strategy="weighted",
        status=status,
    )
    targets = render(providers, [g], runs).group("a").targets
    assert [(t.weight, t.stage) for t in targets] == [(40, Stage.LIMITED), (0, Stage.SMOKE_ONLY)]


def test_weighted_group_without_status_routes_nothing_yet() -> None:
    providers, _, runs = catalog()
    g = group("a", [{"provider": "p", "model": "m"}], strategy="weighted")
    assert render(providers, [g], runs).group("a").targets[0].weight == 0


def test_restricted_groups_route_smoke_only_targets() -> None:
    providers, _, runs = catalog()
    g = group(
        "s", [{"provider": "p", "model": "m", "weight": 7}], restricted=True, strategy="weighted"
    )
    config = render(providers, [g], runs)
    target = config.group("s").targets[0]
    assert (target.weight, target.stage) == (7, Stage.SMOKE_ONLY)
    assert config.group("s").caller_secret == "callers"


def test_allow_list_filters_evidence() -> None:
    p = provider("p", allow=["text"])
    config = render([p], [group()], [smoke_run("r1", [row("text"), row("auto-tools")])])
    assert config.provider("p").model("m").verified == [Capability.TEXT]


def test_only_enabled_bridges_render_with_their_evidence() -> None:
    p = provider(
        "p", bridges={"responsesToChat": {"enabled": True}, "messagesToChat": {"enabled": False}}
    )
    routed = smoke_run(
        "b",
        [
            row(
                "text",
                dialect="openai-responses",
                layer="router",
                selectedUpstream="p/m",
                bridgeDirection="responsesToChat",
            )
        ],
        group="g",
    )
    config = render([p], [group()], [smoke_run("r1", [row("text")]), routed])
    bridges = config.provider("p").model("m").bridges
    assert [(b.direction, b.verified) for b in bridges] == [
        (BridgeDirection.RESPONSES_TO_CHAT, [Capability.TEXT])
    ]


def test_provider_status_is_kept_when_no_smoke_run_concerns_the_model() -> None:
    p = provider("p")
    p.status.models = render([p], [group()], [smoke_run("r1", [row("text")])]) and []
    from switchyard.catalog import ModelStatus, Proof, Verified

    p.status.models = [ModelStatus(name="m", verified=Verified(text=Proof(smoke_run="gone")))]
    assert render([p], [group()], []).provider("p").model("m").verified == [Capability.TEXT]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (
            [{"provider": "nope", "model": "m"}],
            "ModelGroup/t/g: spec.targets[0].provider: Provider 'nope' not found",
        ),
        (
            [{"provider": "p", "model": "m"}, {"provider": "p", "model": "zz"}],
            "ModelGroup/t/g: spec.targets[1].model: Provider 'p' has no model 'zz'",
        ),
    ],
)
def test_dangling_references_name_object_and_field(targets, message) -> None:
    with pytest.raises(CatalogError) as err:
        render([provider("p")], [group("g", targets)], [])
    assert message in err.value.problems


def test_several_namespaces_need_a_choice() -> None:
    p = provider("p")
    other = p.model_copy(deep=True)
    other.metadata.namespace = "elsewhere"
    other.metadata.name = "p2"
    with pytest.raises(CatalogError, match="several namespaces"):
        render([p, other], [], [])
    from switchyard.render import RenderOptions

    assert render([p, other], [], [], RenderOptions(namespace="elsewhere")).provider("p") is None
