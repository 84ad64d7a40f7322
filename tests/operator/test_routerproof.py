"""The router-level proof runs the operator creates by itself (pure plan)."""

from __future__ import annotations

from switchyard.catalog import Executor, Layer, ProbeTask, SmokeRun
from switchyard.operator import routerproof
from switchyard.render import apply_evidence
from tests.catalog.factories import group, provider, row, smoke_run

DIRECT = [row("text"), row("image-input"), row("reasoning-effort"), row("large-payload")]


def resolved(*runs: SmokeRun) -> dict[str, object]:
    return {p.name: p for p in apply_evidence([provider("p")], list(runs))}


def test_direct_proof_of_router_proof_capabilities_plans_one_pinned_inline_run() -> None:
    providers = resolved(smoke_run("d1", DIRECT))
    (manifest,) = routerproof.plan(group("g"), providers, set())  # type: ignore[arg-type]
    run = SmokeRun.model_validate(manifest)  # a valid SmokeRun, as the API server will see it
    assert run.spec.layer is Layer.ROUTER and run.spec.executor is Executor.INLINE
    assert (run.spec.target.model_group, run.spec.target.pin) == ("g", "p/m")
    assert run.spec.tasks == [
        ProbeTask.IMAGE_INPUT, ProbeTask.REASONING_EFFORT, ProbeTask.LARGE_PAYLOAD,
    ]  # fmt: skip
    assert [d.value for d in run.spec.dialects] == ["openai-chat"]
    # within the default context window as the router estimates it (131072 tokens x 4 bytes)
    assert run.spec.large_payload.target_bytes == 131072 * 4 * 3 // 4
    # idempotent: the same name is planned again, and an existing run stops it
    again = routerproof.plan(group("g"), providers, set())  # type: ignore[arg-type]
    assert again[0]["metadata"]["name"] == manifest["metadata"]["name"]
    assert routerproof.plan(group("g"), providers, {run.name}) == []  # type: ignore[arg-type]


def test_nothing_is_planned_when_proven_through_the_router_or_restricted_or_unproven() -> None:
    routed = smoke_run(
        "r1",
        [row(t, layer="router", selectedUpstream="p/m") for t in
         ("image-input", "reasoning-effort", "large-payload")],
        group="g",
    )  # fmt: skip
    both = resolved(smoke_run("d1", DIRECT), routed)
    assert routerproof.plan(group("g"), both, set()) == []  # type: ignore[arg-type]
    direct = resolved(smoke_run("d1", DIRECT))
    assert routerproof.plan(group("g", restricted=True), direct, set()) == []  # type: ignore[arg-type]
    text_only = resolved(smoke_run("d1", [row("text")]))
    assert routerproof.plan(group("g"), text_only, set()) == []  # type: ignore[arg-type]


def test_only_what_is_still_missing_is_probed_and_new_direct_evidence_plans_anew() -> None:
    partly = smoke_run("r1", [row("image-input", layer="router", selectedUpstream="p/m")],
                       group="g")  # fmt: skip
    first = routerproof.plan(group("g"), resolved(smoke_run("d1", DIRECT), partly), set())  # type: ignore[arg-type]
    assert first[0]["spec"]["tasks"] == ["reasoning-effort", "large-payload"]
    newer = smoke_run("d2", DIRECT, minutes=5)
    second = routerproof.plan(  # type: ignore[arg-type]
        group("g"), resolved(smoke_run("d1", DIRECT), newer, partly), set()
    )
    assert second[0]["metadata"]["name"] != first[0]["metadata"]["name"]
