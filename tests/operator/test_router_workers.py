"""`routerWorkers`: router pods run `--workers N` with per-worker resources, and stateful
memory sessions are refused when several processes would serve them."""

from __future__ import annotations

from dataclasses import replace

from switchyard.catalog import ModelGroup
from switchyard.operator.handlers.router import _render
from switchyard.operator.routerres import RouterSettings, per_pod, pod_template, template_hash
from switchyard.operator.settings import OperatorSettings
from switchyard.render import RenderOptions
from tests.catalog.factories import group, provider


def _container(workers: int) -> dict:  # type: ignore[type-arg]
    tpl = pod_template(["a-key"], RouterSettings(image="img", workers=workers))
    container: dict = tpl["spec"]["containers"][0]  # type: ignore[type-arg]
    return container


def test_one_worker_leaves_the_pod_as_it_was_and_more_scale_args_and_resources() -> None:
    base = RouterSettings(image="img")
    assert pod_template(["a-key"], replace(base, workers=1)) == pod_template(["a-key"], base)
    assert "--workers" not in _container(1)["args"]
    two = _container(2)
    assert two["args"][-2:] == ["--workers", "2"]
    assert two["resources"] == {
        "requests": {"cpu": "200m", "memory": "256Mi"},
        "limits": {"cpu": "2", "memory": "1024Mi"},
    }
    one, four = (pod_template(["a-key"], replace(base, workers=n)) for n in (1, 4))
    assert template_hash(one) != template_hash(four)  # the pods restart with the new count
    assert [per_pod(q, 3) for q in ("100m", "0.5", "128Mi", "1")] == ["300m", "1.5", "384Mi", "3"]


def test_operator_setting_defaults_to_one_and_is_bounded() -> None:
    assert OperatorSettings().router_workers == 1
    assert OperatorSettings(router_workers=4).router_workers == 4


def test_stateful_memory_sessions_are_refused_on_one_replica_of_two_workers() -> None:
    g = group()
    stateful: ModelGroup = g.model_copy(update={"spec": g.spec.model_copy(update={
        "sessions": g.spec.sessions.model_copy(update={"stateful": True})})})  # fmt: skip
    p = provider("p")
    config, failures = _render(RenderOptions(namespace="t", replicas=1), [p], [stateful], [])
    assert failures == {} and config is not None
    options = RenderOptions(namespace="t", replicas=1, workers=2)
    config, failures = _render(options, [p], [stateful], [])
    assert "with 1 router replicas of 2 workers" in failures["g"][1]
