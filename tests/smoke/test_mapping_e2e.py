"""Every row of the probe -> catalog mapping table, end to end:

real probes against the fake upstream -> SmokeRun evidence (`smokerun_document`) ->
`recommended` / Provider status (the catalog's mapping) -> `switchyard.render` -> a real router
process -> the official openai SDK as caller: the router routes to the target or skips it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from switchyard.catalog import (
    Dialect,
    LargePayload,
    Layer,
    ModelGroup,
    Provider,
    RouterConfig,
    RouterSettings,
    SmokeRun,
)
from switchyard.render import RenderOptions, render
from switchyard.smoke import TASKS, Naming, ProbeOptions, ProbeTarget, run_probes, smokerun_document
from tests.router.harness import Router, router_proof, run_router

PROVIDER_KEY = "sk-e2e-provider-key-0b7d"
# catalog model name -> served model id at the fake upstream (see scenario.yaml)
MODELS = {
    "good": "good",
    "capless": "capless",
    "plain": "plain",
    "autotools-only": "autotools-only",
    "broken": "broken",
    "small-context": "small-context",
    "thinker": "thinker",
    "entitled": "entitled",
    "usage-untested": "good",
}
OPTIONS = ProbeOptions(large_payload=LargePayload(target_bytes=131072, tool_count=4, max_tokens=32))
LARGE_BYTES = 100_000  # the router's large-payload threshold in this test
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]},
    },
}  # fmt: skip


def _provider(base: str) -> Provider:
    return Provider.model_validate(
        {
            "kind": "Provider",
            "metadata": {"name": "fake", "namespace": "e2e", "generation": 1},
            "spec": {
                "baseUrl": base,
                "dialect": "openai-chat",
                "auth": {"scheme": "bearer", "secretRef": {"name": "keys", "key": "fake"}},
                "models": [{"name": k, "model": v} for k, v in MODELS.items()],
            },
        }
    )


def _group(model: str) -> ModelGroup:
    return ModelGroup.model_validate(
        {
            "kind": "ModelGroup",
            "metadata": {"name": f"g-{model}", "namespace": "e2e"},
            "spec": {"strategy": "static", "targets": [{"provider": "fake", "model": model}]},
        }
    )


async def _evidence(upstream: str) -> list[SmokeRun]:
    runs = []
    for ref, served in MODELS.items():
        tasks = [t for t in TASKS if not (ref == "usage-untested" and t.value == "usage")]
        report = await run_probes(
            ProbeTarget(upstream, Layer.DIRECT, served, "sk-any", 20),
            [Dialect.OPENAI_CHAT],
            tasks,
            OPTIONS,
        )
        naming = Naming(run_name=f"fake-{ref}-1", model_ref=ref, provider="fake", namespace="e2e")
        runs.append(SmokeRun.model_validate(smokerun_document(report, naming)))
    return runs


@pytest.fixture(scope="module")
def evidence(upstream: str) -> list[SmokeRun]:
    import asyncio

    return asyncio.run(_evidence(upstream))


@pytest.fixture(scope="module")
def config(upstream: str, evidence: list[SmokeRun]) -> RouterConfig:
    # what the operator's router-level proof adds (image, large payload, reasoning again,
    # through the router): these open groups route those needs only with it
    proof = [r for run in evidence if (r := router_proof(run)) is not None]
    return render(
        [_provider(upstream)],
        [_group(m) for m in MODELS],
        [*evidence, *proof],
        RenderOptions(namespace="e2e", settings=RouterSettings(large_payload_bytes=LARGE_BYTES)),
    )


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, config: RouterConfig) -> Iterator[Router]:
    tmp = tmp_path_factory.mktemp("router")
    with run_router(tmp, config, {"keys": {"fake": PROVIDER_KEY}}) as r:
        yield r


@pytest.fixture(scope="module")
def client(router: Router) -> openai.OpenAI:
    return openai.OpenAI(base_url=router.v1, api_key="caller-token", max_retries=0)


def _model(config: RouterConfig, name: str) -> Any:
    provider = config.provider("fake")
    assert provider is not None
    return provider.model(name)


def _call(client: openai.OpenAI, group: str, **kwargs: Any) -> str:
    """Upstream that served it (provider/model)."""
    messages = kwargs.pop("messages", [{"role": "user", "content": "Say OK"}])
    raw = client.chat.completions.with_raw_response.create(
        model=f"g-{group}", messages=messages, **kwargs
    )
    if kwargs.get("stream"):
        for _ in raw.parse():
            pass
    else:
        raw.parse()
    return raw.headers["x-switchyard-upstream"]


def _skipped(client: openai.OpenAI, group: str, missing: str, **kwargs: Any) -> None:
    messages = kwargs.pop("messages", [{"role": "user", "content": "Say OK"}])
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=f"g-{group}", messages=messages, **kwargs)
    assert "NoEligibleTarget" in str(err.value.body) or "NoEligibleTarget" in err.value.message
    assert missing in err.value.message


def test_recommended_matches_render(evidence: list[SmokeRun], config: RouterConfig) -> None:
    for run in evidence:
        ref = run.spec.target.model
        assert run.status.recommended is not None
        verified = sorted(run.status.recommended.get("verified", {}))
        rendered = _model(config, ref)
        camel = sorted(c.value for c in rendered.verified)
        assert verified == camel, ref


def test_text_pass_is_required_before_any_route(
    client: openai.OpenAI, config: RouterConfig
) -> None:
    assert _model(config, "broken").verified == []
    assert _call(client, "good") == "fake/good"
    group = config.group("g-broken")
    assert group is not None and group.targets[0].weight == 0
    _skipped(client, "broken", "no routing weight")


def test_cap_fail_marks_honors_max_tokens_false(
    client: openai.OpenAI, config: RouterConfig
) -> None:
    assert _model(config, "capless").honors_max_tokens is False
    assert _call(client, "capless") == "fake/capless"  # uncapped requests still go
    _skipped(client, "capless", "honorsMaxTokens", max_completion_tokens=8)
    assert _call(client, "good", max_completion_tokens=8) == "fake/good"


def test_cap_info_is_no_claim_either_way(client: openai.OpenAI, config: RouterConfig) -> None:
    model = _model(config, "thinker")
    assert model.honors_max_tokens is None and "text" in model.verified
    assert _call(client, "thinker", max_completion_tokens=8) == "fake/thinker"


@pytest.mark.parametrize(
    ("missing", "kwargs"),
    [
        ("tools", {"tools": [WEATHER_TOOL]}),
        ("structuredOutputs", {"response_format": {"type": "json_schema", "json_schema": {
            "name": "x", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}),
        ("streaming", {"stream": True}),
        ("imageInput", {"messages": [{"role": "user", "content": [
            {"type": "text", "text": "read"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}),
        ("reasoning", {"reasoning_effort": "low"}),
    ],
)  # fmt: skip
def test_capability_pass_routes_fail_skips(
    client: openai.OpenAI, config: RouterConfig, missing: str, kwargs: dict[str, Any]
) -> None:
    assert missing not in [c.value for c in _model(config, "plain").verified]
    assert missing in [c.value for c in _model(config, "good").verified]
    assert _call(client, "good", **dict(kwargs)) == "fake/good"
    _skipped(client, "plain", missing, **dict(kwargs))
    assert _call(client, "plain") == "fake/plain"  # the target still serves plain text


def test_forced_tools_need_their_own_pass(client: openai.OpenAI, config: RouterConfig) -> None:
    verified = [c.value for c in _model(config, "autotools-only").verified]
    assert "tools" in verified and "toolChoice" not in verified
    forced = {"type": "function", "function": {"name": "get_weather"}}
    assert _call(client, "autotools-only", tools=[WEATHER_TOOL]) == "fake/autotools-only"
    _skipped(client, "autotools-only", "toolChoice", tools=[WEATHER_TOOL], tool_choice=forced)
    assert _call(client, "good", tools=[WEATHER_TOOL], tool_choice=forced) == "fake/good"


def test_large_payload_needs_its_pass(client: openai.OpenAI, config: RouterConfig) -> None:
    assert "largePayload" not in [c.value for c in _model(config, "small-context").verified]
    big = [{"role": "user", "content": "filler " * (LARGE_BYTES // 6)}]
    _skipped(client, "small-context", "largePayload", messages=big)
    assert _call(client, "small-context") == "fake/small-context"
    assert _call(client, "good", messages=big) == "fake/good"


def test_usage_pass_makes_the_router_ask_for_usage(
    client: openai.OpenAI, config: RouterConfig, upstream: str, router: Router
) -> None:
    assert "usage" in _model(config, "good").verified
    assert "usage" not in _model(config, "usage-untested").verified
    root = upstream.removesuffix("/v1")
    for group, asked in (("good", True), ("usage-untested", False)):
        httpx.delete(f"{root}/_mock/requests")
        _call(client, group, stream=True)
        sent = httpx.get(f"{root}/_mock/requests").json()["last"]["body"]
        assert bool((sent.get("stream_options") or {}).get("include_usage")) is asked, group
    row = router.usage_rows()[
        -2
    ]  # the `good` stream: usage counted although the caller did not ask
    assert row["selected_upstream"] == "fake/good" and row["input_tokens"] > 0


def test_access_failure_blocks_every_request(client: openai.OpenAI, config: RouterConfig) -> None:
    model = _model(config, "entitled")
    assert model.access_failure is not None and model.access_failure.value == "Entitlement"
    group = config.group("g-entitled")
    assert group is not None and group.targets[0].weight == 0  # render keeps it out
    _skipped(client, "entitled", "no routing weight")


def test_provider_key_never_leaves_the_router(router: Router, client: openai.OpenAI) -> None:
    _call(client, "good")
    assert PROVIDER_KEY not in router.logs()
    assert PROVIDER_KEY not in router.usage_file.read_text()
    assert PROVIDER_KEY not in router.metrics()


def test_config_file_has_no_evidence_of_secrets(router: Router) -> None:
    text = Path(router.config).read_text()
    assert PROVIDER_KEY not in text
