"""Post-rollback confirmation: when it is due, what it sends, how the answer is judged; the
request itself goes through a real router process to the fake upstream."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from switchyard.catalog import (
    ConditionStatus,
    ConfirmationResult,
    Dialect,
    RouterSettings,
    Stage,
    TargetStatus,
)
from switchyard.operator import confirm
from switchyard.operator.operatortoken import namespace_token, token_digest
from switchyard.operator.rollout import Action
from tests.catalog.factories import T0
from tests.router.harness import (
    PROVIDER_KEY,
    G,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_mock,
    run_router,
)  # fmt: skip


def status(provider: str, stage: Stage, weight: int = 0) -> TargetStatus:
    return TargetStatus(provider=provider, model="m", stage=stage, effective_weight=weight)


def test_a_target_entering_rolled_back_triggers_once() -> None:
    before = [status("a", Stage.ACTIVE, 60), status("b", Stage.LIMITED, 20)]
    after = [status("a", Stage.ACTIVE, 60), status("b", Stage.ROLLED_BACK)]
    found = confirm.trigger(before, after, None)
    assert found == confirm.Trigger(confirm.TARGET_ROLLED_BACK, "b/m")
    first = confirm.pending(None, found, T0)
    assert first is not None and first.result is ConfirmationResult.PENDING
    # the next reconcile sees the target already rolled back: nothing new
    assert confirm.trigger(after, after, None) is None
    assert confirm.pending(first, None, T0 + timedelta(seconds=5)) is first
    # the same trigger again keeps the recorded one (sent or not)
    assert confirm.pending(first, found, T0 + timedelta(seconds=9)) is first


def test_a_failed_router_revision_triggers_and_a_new_one_triggers_again() -> None:
    same = [status("a", Stage.ACTIVE, 60)]
    found = confirm.trigger(same, same, "rev-1")
    assert found == confirm.Trigger(confirm.ROUTER_ROLLED_BACK, "rev-1")
    first = confirm.pending(None, found, T0)
    assert first is not None
    second = confirm.pending(first, confirm.trigger(same, same, "rev-2"), T0)
    assert second is not None and second is not first and second.reference == "rev-2"


def test_sent_only_once_nothing_rolls_out() -> None:
    waiting = confirm.pending(None, confirm.Trigger(confirm.TARGET_ROLLED_BACK, "b/m"), T0)
    for action in (Action.APPLY, Action.WAIT, Action.PROMOTE, Action.ROLLBACK, None):
        assert not confirm.due(waiting, action)
    assert confirm.due(waiting, Action.STEADY) and confirm.due(waiting, Action.HOLD)
    assert waiting is not None
    done = confirm.judge(waiting, "a/m", None, ["b/m"], T0)
    assert not confirm.due(done, Action.STEADY)
    assert not confirm.due(None, Action.STEADY)


def test_judging_the_answer() -> None:
    waiting = confirm.pending(None, confirm.Trigger(confirm.TARGET_ROLLED_BACK, "b/m"), T0)
    assert waiting is not None
    served = confirm.judge(waiting, "a/m", None, ["b/m"], T0)
    assert (served.result, served.served_by, served.confirmed_at) == (
        ConfirmationResult.SERVED, "a/m", T0,
    )  # fmt: skip
    cond = confirm.confirmed_condition(served, 3)
    assert (cond.status, cond.reason) == (ConditionStatus.TRUE, "AnotherTargetServed")
    assert "a/m" in cond.message and cond.observed_generation == 3
    # answered, but by the target that was rolled back: not confirmed
    again = confirm.judge(waiting, "b/m", None, ["b/m"], T0)
    assert again.result is ConfirmationResult.FAILED and "b/m" in again.message
    failed = confirm.judge(waiting, None, "NoEligibleTarget (HTTP 400)", ["b/m"], T0)
    cond = confirm.confirmed_condition(failed, 3)
    assert (cond.status, cond.reason) == (ConditionStatus.FALSE, "NoTargetServed")
    assert "NoEligibleTarget" in cond.message
    pending = confirm.confirmed_condition(waiting, 3)
    assert (pending.status, pending.reason) == (ConditionStatus.UNKNOWN, "Pending")


def test_the_request_speaks_the_dialect_of_a_target_still_carrying_weight() -> None:
    dialects = {"a": Dialect.ANTHROPIC, "b": Dialect.OPENAI_CHAT}
    targets = [status("b", Stage.ROLLED_BACK), status("a", Stage.ACTIVE, 60)]
    assert confirm.dialect_for(targets, dialects) is Dialect.ANTHROPIC
    nothing = [status("b", Stage.ROLLED_BACK)]
    assert confirm.dialect_for(nothing, dialects) is Dialect.OPENAI_CHAT


def test_tokens_differ_per_namespace_and_key_and_only_the_digest_is_rendered() -> None:
    key = b"k" * 32
    one, two = namespace_token(key, "team-a"), namespace_token(key, "team-b")
    assert one != two and one == namespace_token(key, "team-a")
    assert namespace_token(b"x" * 32, "team-a") != one
    digest = token_digest(one)
    assert len(digest) == 64 and one not in digest
    assert RouterSettings(operator_token_digest=digest).operator_token_digest == digest


def test_the_confirmation_goes_through_a_real_router(tmp_path: Path) -> None:
    """A restricted group and an Anthropic one: the token opens both, the answer names the
    target; a group with no servable target fails with the router's reason."""
    with run_mock() as mock:
        mock.scenario({"defaults": {"apiKey": PROVIDER_KEY}})
        _through_router(tmp_path, mock.url)


def _through_router(tmp_path: Path, upstream: str) -> None:
    token = namespace_token(b"k" * 32, "t")
    chat = provider("chat", upstream + "/v1", models={"m": "model-chat"})
    anth = provider(
        "anth", upstream, Dialect.ANTHROPIC, models={"m": "model-anth"}, auth="x-api-key"
    )
    groups = [
        G("smoke", [T("chat")], restricted=True),
        G("msg", [T("anth")]),
        G("empty", [T("chat", weight=0)]),
    ]
    settings = RouterSettings(operator_token_digest=token_digest(token))
    config = build([chat, anth], groups, [evidence(chat), evidence(anth)], settings)
    secrets = {**provider_keys("chat", "anth"), "smoke-callers": {"c": "someone-else"}}
    with run_router(tmp_path, config, secrets) as router:

        def send(group: str, dialect: Dialect) -> tuple[str | None, str | None]:
            return asyncio.run(confirm.send(router.url, group, dialect, token, 20))

        assert send("smoke", Dialect.OPENAI_CHAT) == ("chat/m", None)
        assert send("msg", Dialect.ANTHROPIC) == ("anth/m", None)
        served_by, failure = send("empty", Dialect.OPENAI_CHAT)
        assert served_by is None and failure is not None and "HTTP 400" in failure
        assert token not in router.logs()
