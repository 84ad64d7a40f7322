"""The evidence loop for a google (Gemini) Provider, exactly as for the other dialects: a direct
probe of every task against the fake upstream, its SmokeRun rendered into the router config, a
router-layer probe that proves chatToGoogle for an ordinary group, and a bad key that blocks the
target."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import openai
import orjson
import pytest

from switchyard.catalog import (
    AccessFailure,
    BridgeDirection,
    Capability,
    Dialect,
    LargePayload,
    Layer,
    ModelGroup,
    ProbeResult,
    ProbeTask,
    Provider,
    RouterConfig,
    SmokeRun,
    derive_model_status,
)
from switchyard.render import RenderOptions, render
from switchyard.smoke import (
    TASKS as ALL,
)
from switchyard.smoke import (
    Naming,
    ProbeOptions,
    ProbeTarget,
    run_probes,
    smokerun_document,
)

from .harness import PROVIDER_KEY, run_mock, run_router

CALLER = "caller-google-evidence-3c1f"
# hosted tools are proven per tool type and skipped without one; every other task runs
TASKS = [t for t in ALL if t is not ProbeTask.HOSTED_TOOLS]
OPTIONS = ProbeOptions(large_payload=LargePayload(target_bytes=32768, tool_count=4, max_tokens=32))
ROUTER_TASKS = [ProbeTask.TEXT, ProbeTask.AUTO_TOOLS, ProbeTask.STREAMING, ProbeTask.USAGE]


def _provider(base: str) -> Provider:
    return Provider.model_validate(
        {
            "kind": "Provider",
            "metadata": {"name": "gemini", "namespace": "ge", "generation": 1},
            "spec": {
                "baseUrl": base,
                "dialect": "google",
                "auth": {
                    "scheme": "x-goog-api-key",
                    "secretRef": {"name": "keys", "key": "gemini"},
                },
                "models": [
                    {
                        "name": "flash",
                        "model": "gemini-2.5-flash",
                        "pricing": {"inputPerMillionUsd": "0.30", "outputPerMillionUsd": "2.50"},
                        "bridges": {"chatToGoogle": {"enabled": True}},
                    }
                ],
            },
        }
    )


def _groups() -> list[ModelGroup]:
    target = [{"provider": "gemini", "model": "flash"}]
    smoke = {
        "strategy": "static",
        "targets": target,
        "access": {"restricted": True, "callerSecretRef": {"name": "callers"}},
    }
    ordinary = {"strategy": "static", "targets": target}
    return [
        ModelGroup.model_validate(
            {"kind": "ModelGroup", "metadata": {"name": name, "namespace": "ge"}, "spec": spec}
        )
        for name, spec in (("smoke", smoke), ("ordinary", ordinary))
    ]


async def _probe(
    target: ProbeTarget,
    dialects: Sequence[Dialect],
    tasks: Sequence[ProbeTask],
    name: str,
    model_ref: str | None = None,
) -> SmokeRun:
    report = await run_probes(target, dialects, tasks, OPTIONS)
    if target.layer is Layer.DIRECT:
        naming = Naming(
            name, model_ref or "flash", provider="gemini", namespace="ge", provider_generation=1
        )
    else:
        naming = Naming(name, "smoke", namespace="ge")
    return SmokeRun.model_validate(smokerun_document(report, naming))


def _render(base: str, runs: list[SmokeRun]) -> RouterConfig:
    return render([_provider(base)], _groups(), runs, RenderOptions(namespace="ge"))


def test_probe_evidence_router_and_bridge_proof(tmp_path: Path) -> None:
    with run_mock() as mock:
        # a capable Gemini model: parallel calls are several functionCall parts of one turn
        mock.scenario({"defaults": {"apiKey": PROVIDER_KEY, "parallelToolCalls": True}})
        base = mock.url + "/v1beta"
        direct = asyncio.run(
            _probe(
                ProbeTarget(base, Layer.DIRECT, "gemini-2.5-flash", PROVIDER_KEY, 20),
                [Dialect.GOOGLE],
                list(TASKS),
                "gemini-flash-1",
            )
        )
        rows = {r.task: r for r in direct.status.results}
        assert {t: r.result for t, r in rows.items()} == dict.fromkeys(TASKS, ProbeResult.PASS)
        status = derive_model_status("flash", Dialect.GOOGLE, [direct], ("gemini", "flash"))
        # every input Gemini takes is proven (audio and PDF too), except video: no task yet
        assert set(status.verified.capabilities()) == set(Capability) - {Capability.VIDEO_INPUT}
        assert status.reasoning_control is not None
        assert status.reasoning_control.value == "gemini-budget"
        assert status.honors_max_tokens is True and status.access_failure is None
        sent = [r for r in mock.requests() if r["model"] == "gemini-2.5-flash"]
        assert all(r["headers"]["x-goog-api-key"] == PROVIDER_KEY for r in sent)
        assert {r["path"] for r in sent} == {
            "/v1beta/models/gemini-2.5-flash:generateContent",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        }
        config = _render(base, [direct])
        secrets = {"keys": {"gemini": PROVIDER_KEY}, "callers": {"probe": CALLER}}
        with run_router(tmp_path / "r", config, secrets) as router:
            client = openai.OpenAI(base_url=router.v1, api_key=CALLER, max_retries=0)
            # an ordinary group: native evidence only; Chat callers need bridge evidence first
            with pytest.raises(openai.BadRequestError, match="can serve"):
                client.chat.completions.create(
                    model="ordinary", messages=[{"role": "user", "content": "hi"}]
                )
            routed = asyncio.run(
                _probe(
                    ProbeTarget(router.v1, Layer.ROUTER, "smoke", CALLER, 20),
                    [Dialect.GOOGLE, Dialect.OPENAI_CHAT],
                    ROUTER_TASKS,
                    "smoke-router-1",
                )
            )
            for row in routed.status.results:
                assert row.result is ProbeResult.PASS, row
                assert row.selected_upstream == "gemini/flash"
                expected = (
                    BridgeDirection.CHAT_TO_GOOGLE if row.dialect is Dialect.OPENAI_CHAT else None
                )
                assert row.bridge_direction is expected
            config = _render(base, [direct, routed])
            router.write_config(
                orjson.dumps(config.model_dump(by_alias=True, mode="json")).decode()
            )
            router.wait_revision(config.revision)
            out = client.chat.completions.create(
                model="ordinary", messages=[{"role": "user", "content": "hi"}]
            )
            assert out.choices[0].message.content == "OK"
            # image input was never proven through the bridge: still refused for Chat callers
            url = "data:image/png;base64,iVBORw0KGgo="
            image = [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
            ]
            with pytest.raises(openai.BadRequestError, match="can serve"):
                client.chat.completions.create(model="ordinary", messages=image)  # type: ignore[arg-type]
            served = [
                r for r in router.usage_rows() if r["group"] == "ordinary" and r["status"] == 200
            ]
            assert served[-1]["bridge_direction"] == "chatToGoogle"
            assert served[-1]["target_skin"] == "google" and served[-1]["cost_usd"] is not None
        # a bad key: an access-class failure that blocks the target until new evidence passes
        bad = asyncio.run(
            _probe(
                ProbeTarget(base, Layer.DIRECT, "gemini-2.5-flash", "wrong-key", 20),
                [Dialect.GOOGLE],
                list(TASKS),
                "gemini-flash-2",
            )
        )
        first = bad.status.results[0]
        assert (first.task, first.status_code, first.error_class) == (
            ProbeTask.ACCESS,
            400,
            "AuthFailed",
        )
        blocked = derive_model_status("flash", Dialect.GOOGLE, [direct, bad], ("gemini", "flash"))
        assert blocked.access_failure is AccessFailure.AUTH_FAILED
        rendered = _render(base, [direct, bad])
        weights = [t.weight for g in rendered.groups for t in g.targets]
        assert weights and all(w == 0 for w in weights)
