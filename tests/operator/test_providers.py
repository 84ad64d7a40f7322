"""Provider reconcile: conditions, evidence per model, SmokeRuns per new generation."""

from __future__ import annotations

from switchyard.catalog import AccessFailure, Executor, SmokeRun
from switchyard.operator.providers import (
    GENERATION_LABEL,
    SecretState,
    auto_smoke_name,
    dns_name,
    invalid_status,
    reconcile,
    secret_state,
)
from tests.catalog.factories import T0, provider, row, smoke_run

OK = SecretState(exists=True, has_key=True)


def conds(status) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status.value, c.reason) for c in status.conditions}


def test_new_generation_without_runs_asks_for_one_smoke_run_per_model() -> None:
    p = provider("p", models=("m", "n"), generation=3)
    plan = reconcile(p, [], OK, T0)
    names = [s["metadata"]["name"] for s in plan.smoke_runs]
    assert names == ["p-m-g3", "p-n-g3"]
    run = SmokeRun.model_validate(plan.smoke_runs[0])
    assert run.spec.target.provider == "p" and run.spec.target.model == "m"
    assert run.metadata.labels[GENERATION_LABEL] == "3"
    assert conds(plan.status)["Ready"] == ("False", "AwaitingEvidence")
    assert plan.status.observed_generation == 3


def test_no_new_run_once_the_generation_has_one_even_unfinished() -> None:
    p = provider("p", generation=1)
    pending = smoke_run("mine", [], complete=False, generation=1)
    assert reconcile(p, [pending], OK, T0).smoke_runs == []


def test_a_run_of_an_older_generation_does_not_count_as_this_generations() -> None:
    p = provider("p", generation=2)
    old = smoke_run("old", [row("text")], generation=1)
    plan = reconcile(p, [old], OK, T0)
    assert [s["metadata"]["name"] for s in plan.smoke_runs] == ["p-m-g2"]
    # the old evidence still serves until the new generation's run completes
    assert plan.status.models[0].verified.text is not None


def test_passing_text_makes_ready_with_verified_capabilities() -> None:
    p = provider("p")
    plan = reconcile(p, [smoke_run("r", [row("text"), row("auto-tools")])], OK, T0)
    m = plan.status.models[0]
    assert m.verified.capabilities() == ["text", "tools"]
    assert m.verified.text is not None and m.verified.text.smoke_run == "r"
    assert conds(plan.status)["Ready"] == ("True", "Verified")
    assert conds(plan.status)["AccessBlocked"] == ("False", "NoBlocker")


def test_access_failure_blocks_and_names_the_class() -> None:
    p = provider("p")
    bad = smoke_run("r", [row("text", "fail", statusCode=403, errorClass="Entitlement")])
    plan = reconcile(p, [bad], OK, T0)
    assert plan.status.models[0].access_failure is AccessFailure.ENTITLEMENT
    assert conds(plan.status)["AccessBlocked"] == ("True", "Entitlement")
    assert conds(plan.status)["Ready"] == ("False", "AccessBlocked")


def test_missing_secret_or_key_is_not_ready() -> None:
    p = provider("p")
    good = [smoke_run("r", [row("text")])]
    plan = reconcile(p, good, SecretState(exists=False, has_key=False), T0)
    assert conds(plan.status)["Ready"] == ("False", "SecretMissing")
    plan = reconcile(p, good, secret_state({"other": "x"}, "apiKey"), T0)
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert "has no key 'apiKey'" in ready.message


def test_reconcile_twice_is_identical_and_keeps_transition_times() -> None:
    p = provider("p")
    runs = [smoke_run("r", [row("text")])]
    first = reconcile(p, runs, OK, T0).status
    p2 = p.model_copy(update={"status": first})
    from datetime import timedelta

    second = reconcile(p2, runs, OK, T0 + timedelta(hours=1)).status
    assert second == first


def test_other_providers_runs_are_ignored() -> None:
    p = provider("p")
    plan = reconcile(p, [smoke_run("r", [row("text")], provider="q")], OK, T0)
    assert plan.status.models[0].verified.text is None


def test_invalid_spec_sets_ready_false_and_keeps_evidence() -> None:
    p = provider("p")
    ok = reconcile(p, [smoke_run("r", [row("text")])], OK, T0).status
    status = invalid_status(ok, ["Provider/t/p: spec.baseUrl: bad"], 4, T0)
    assert conds(status)["Ready"] == ("False", "InvalidSpec")
    assert status.models == ok.models
    assert status.observed_generation == 4


def test_names_are_dns_labels_even_when_long() -> None:
    long = auto_smoke_name("p" * 40, "m" * 40, 12)
    assert len(long) <= 63 and long == dns_name("p" * 40, "m" * 40, "g12")
    assert long != auto_smoke_name("p" * 40, "m" * 40, 13)


def test_executor_is_passed_through() -> None:
    plan = reconcile(provider("p"), [], OK, T0, executor=Executor.INLINE)
    assert plan.smoke_runs[0]["spec"]["executor"] == "inline"


def test_stale_evidence_is_regathered_after_max_age() -> None:
    from datetime import timedelta

    p = provider("p", generation=1)
    done = smoke_run("p-m-g1", [row("text")], generation=1)  # completed at T0
    assert reconcile(p, [done], OK, T0 + timedelta(hours=167)).smoke_runs == []
    plan = reconcile(p, [done], OK, T0 + timedelta(hours=169))  # default maxAge 168h
    (manifest,) = plan.smoke_runs
    assert manifest["metadata"]["name"] == "p-m-g1-r2"
    assert manifest["metadata"]["annotations"]["switchyard.dev/reason"] == "EvidenceStale"
    # while the re-run runs nothing else is started, and the old evidence keeps serving
    running = smoke_run("p-m-g1-r2", [], generation=1, complete=False)
    again = reconcile(p, [done, running], OK, T0 + timedelta(hours=170))
    assert again.smoke_runs == []
    assert again.status.models[0].verified.text is not None


def test_a_rotated_key_reruns_the_smokes() -> None:
    p = provider("p", generation=1)
    plan = reconcile(p, [], SecretState(True, True, "101"), T0)
    assert plan.smoke_runs[0]["metadata"]["labels"]["switchyard.dev/key-version"] == "101"
    done = smoke_run("p-m-g1", [row("text")], generation=1)
    done.metadata.labels["switchyard.dev/key-version"] = "101"
    assert reconcile(p, [done], SecretState(True, True, "101"), T0).smoke_runs == []
    (rerun,) = reconcile(p, [done], SecretState(True, True, "202"), T0).smoke_runs
    assert rerun["metadata"]["annotations"]["switchyard.dev/reason"] == "KeyRotated"
    assert rerun["metadata"]["labels"]["switchyard.dev/key-version"] == "202"


def test_a_failing_rerun_demotes_the_capability() -> None:
    from datetime import timedelta

    p = provider("p", generation=1)
    old = smoke_run("p-m-g1", [row("text"), row("auto-tools")], generation=1)
    rerun = smoke_run("p-m-g1-r2", [row("text"), row("auto-tools", result="fail")],
                      generation=1, minutes=60 * 170)  # fmt: skip
    status = reconcile(p, [old, rerun], OK, T0 + timedelta(hours=171)).status
    assert status.models[0].verified.tools is None and status.models[0].verified.text is not None
