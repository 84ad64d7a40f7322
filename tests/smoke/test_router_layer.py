"""Router-layer probes: the same tasks through a real router, rows carrying selected upstream,
bridge direction and fallback, and the bridge evidence they produce opening the bridge for an
ordinary group after render."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from switchyard.catalog import (
    BridgeDirection,
    Dialect,
    Layer,
    ModelGroup,
    ProbeTask,
    Provider,
    RouterConfig,
    SmokeRun,
)
from switchyard.render import RenderOptions, render
from switchyard.smoke import Naming, ProbeTarget, run_probes, smokerun_document
from tests.router.harness import Router, run_router

from .conftest import probe_cli

PROVIDER_KEY = "sk-router-layer-provider-9d2e"
CALLER = "caller-token-SECRET-61aa"
TASKS = "text,auto-tools,parallel-tools,streaming,usage"


def _provider(base: str) -> Provider:
    return Provider.model_validate(
        {
            "kind": "Provider",
            "metadata": {"name": "bridged", "namespace": "rl", "generation": 1},
            "spec": {
                "baseUrl": base,
                "dialect": "openai-chat",
                "auth": {"scheme": "bearer", "secretRef": {"name": "keys", "key": "bridged"}},
                "models": [
                    {
                        "name": "good",
                        "model": "good",
                        "bridges": {
                            "responsesToChat": {"enabled": True},
                            "messagesToChat": {"enabled": True},
                        },
                    }
                ],
            },
        }
    )


def _groups() -> list[ModelGroup]:
    smoke = {
        "strategy": "static",
        "targets": [{"provider": "bridged", "model": "good"}],
        "access": {"restricted": True, "callerSecretRef": {"name": "smoke-callers"}},
    }
    ordinary = {"strategy": "static", "targets": [{"provider": "bridged", "model": "good"}]}
    return [
        ModelGroup.model_validate(
            {"kind": "ModelGroup", "metadata": {"name": name, "namespace": "rl"}, "spec": spec}
        )
        for name, spec in (("smoke", smoke), ("ordinary", ordinary))
    ]


async def _direct(upstream: str) -> SmokeRun:
    report = await run_probes(
        ProbeTarget(upstream, Layer.DIRECT, "good", "k", 20),
        [Dialect.OPENAI_CHAT],
        [ProbeTask(t) for t in TASKS.split(",")],
    )
    naming = Naming("bridged-good-1", "good", provider="bridged", namespace="rl")
    return SmokeRun.model_validate(smokerun_document(report, naming))


def _render(upstream: str, runs: list[SmokeRun]) -> RouterConfig:
    return render([_provider(upstream)], _groups(), runs, RenderOptions(namespace="rl"))


@pytest.fixture(scope="module")
def direct_run(upstream: str) -> SmokeRun:
    import asyncio

    return asyncio.run(_direct(upstream))


@pytest.fixture(scope="module")
def router(
    tmp_path_factory: pytest.TempPathFactory, upstream: str, direct_run: SmokeRun
) -> Iterator[Router]:
    tmp = tmp_path_factory.mktemp("rl")
    secrets = {"keys": {"bridged": PROVIDER_KEY}, "smoke-callers": {"probe": CALLER}}
    with run_router(tmp, _render(upstream, [direct_run]), secrets) as r:
        yield r


def _probe_router(router: Router, out: Path, token: str = CALLER) -> Any:
    result = probe_cli("--router", router.url, "--group", "smoke", "--caller-token-env", "TOK",
                       "--dialects", "openai-chat,openai-responses,anthropic", "--tasks", TASKS,
                       "--output", "smokerun", "--namespace", "rl", "--name", "smoke-router-1",
                       "--output-file", str(out), env={"TOK": token})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert CALLER not in result.stdout + result.stderr + out.read_text()
    assert PROVIDER_KEY not in result.stdout + result.stderr + out.read_text()
    return yaml.safe_load(out.read_text())


def test_router_rows_carry_upstream_bridge_and_fallback(router: Router, tmp_path: Path) -> None:
    doc = _probe_router(router, tmp_path / "run.yaml")
    run = SmokeRun.model_validate(doc)
    assert run.spec.layer is Layer.ROUTER and run.spec.target.model_group == "smoke"
    rows = run.status.results
    assert {r.layer for r in rows} == {Layer.ROUTER}
    expected_bridge = {
        Dialect.OPENAI_CHAT: None,
        Dialect.OPENAI_RESPONSES: BridgeDirection.RESPONSES_TO_CHAT,
        Dialect.ANTHROPIC: BridgeDirection.MESSAGES_TO_CHAT,
    }
    for row in rows:
        assert row.selected_upstream == "bridged/good", row
        assert row.fallback is False
        assert row.bridge_direction is expected_bridge[row.dialect]
    passed = {(r.dialect, r.task.value) for r in rows if r.result.value == "pass"}
    assert (Dialect.OPENAI_RESPONSES, "text") in passed
    assert (Dialect.ANTHROPIC, "text") in passed
    # recommended: bridge evidence, per direction, from the catalog's own mapping
    rec = run.status.recommended
    assert rec is not None
    directions = {b["direction"]: b["verified"] for b in rec["bridges"]}
    assert "text" in directions["responsesToChat"] and "text" in directions["messagesToChat"]


def test_wrong_caller_token_is_a_safe_access_class(router: Router, tmp_path: Path) -> None:
    doc = _probe_router(router, tmp_path / "bad.yaml", token="not-a-caller")
    rows = doc["status"]["results"]
    assert rows[0]["errorClass"] in ("AuthFailed", "Forbidden")
    assert {r["result"] for r in rows} == {"fail", "skip"}
    assert not doc["status"]["recommended"]["bridges"]


def test_bridge_evidence_opens_the_bridge_for_an_ordinary_group(
    router: Router, tmp_path: Path, upstream: str, direct_run: SmokeRun
) -> None:
    responses = openai.OpenAI(base_url=router.v1, api_key="anyone", max_retries=0)
    # before router-layer evidence: the ordinary group may not use the unproven bridge
    with pytest.raises(openai.BadRequestError) as err:
        responses.responses.create(model="ordinary", input="Say OK", max_output_tokens=64)
    assert (
        "NoEligibleTarget" in str(err.value.body)
        or "no enabled bridge" in err.value.message
        or ("not proven" in err.value.message)
    )
    bridged = SmokeRun.model_validate(_probe_router(router, tmp_path / "run.yaml"))
    config = _render(upstream, [direct_run, bridged])
    provider = config.provider("bridged")
    model = provider.model("good") if provider else None
    assert model is not None
    bridges = {b.direction: [c.value for c in b.verified] for b in model.bridges}
    assert "text" in bridges[BridgeDirection.RESPONSES_TO_CHAT]
    assert "parallelToolCalls" in bridges[BridgeDirection.RESPONSES_TO_CHAT]
    router.config.write_text(config.to_json())
    router.wait_revision(config.revision)
    raw = responses.responses.with_raw_response.create(
        model="ordinary", input="Say OK", max_output_tokens=64
    )
    assert raw.parse().output_text.strip() == "OK"
    assert raw.headers["x-switchyard-bridge"] == "responsesToChat"
    # the parallel-tools rows through the bridge let an explicit ask through it too
    tools: Any = [{"type": "function", "name": n, "parameters": {"type": "object"}}
                  for n in ("get_weather", "get_time")]  # fmt: skip
    both = responses.responses.create(
        model="ordinary", input="both", tools=tools, parallel_tool_calls=True
    )
    assert [i.name for i in both.output if i.type == "function_call"] == ["get_weather", "get_time"]
