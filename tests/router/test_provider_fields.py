"""Provider fields the router honours: auth.keyId in rows and metrics, forceStoreFalse upstream."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from switchyard.catalog import Dialect

from .harness import PROVIDER_KEY, G, Mock, T, build, evidence, provider, provider_keys, run_router


def test_key_id_in_usage_rows_and_metrics(tmp_path: Path, mock: Mock) -> None:
    p = provider("kp", mock.url + "/v1", models={"m": "model-k"}, key_id="prod-2026-11")
    config = build([p], [G("g", [T("kp")])], [evidence(p)])
    with run_router(tmp_path, config, provider_keys("kp")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="caller", max_retries=0)
        oai.chat.completions.create(model="g", messages=[{"role": "user", "content": "hi"}])
        (row,) = router.wait_usage_rows(1)
        metrics = router.metrics()
        logs = router.logs()
    assert row["key_id"] == "prod-2026-11"
    assert 'switchyard_provider_key_info{key_id="prod-2026-11",provider="kp"} 1.0' in metrics
    assert PROVIDER_KEY not in metrics + str(row) + logs


def test_force_store_false_overrides_the_caller(tmp_path: Path, mock: Mock) -> None:
    resp = provider("rs", mock.url + "/v1", Dialect.OPENAI_RESPONSES, models={"m": "model-rs"},
                    model_fields={"forceStoreFalse": True})  # fmt: skip
    chat = provider("ch", mock.url + "/v1", models={"m": "model-ch"},
                    model_fields={"forceStoreFalse": True})  # fmt: skip
    plain = provider("pl", mock.url + "/v1", models={"m": "model-pl"})
    groups = [G("r", [T("rs")]), G("c", [T("ch")]), G("p", [T("pl")])]
    config = build([resp, chat, plain], groups, [evidence(resp), evidence(chat), evidence(plain)])
    with run_router(tmp_path, config, provider_keys("rs", "ch", "pl")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="caller", max_retries=0)
        oai.responses.create(model="r", input="hi", store=True)
        msg = [{"role": "user", "content": "hi"}]
        oai.chat.completions.create(model="c", messages=msg, store=True)  # type: ignore[arg-type]
        oai.chat.completions.create(model="p", messages=msg, store=True)  # type: ignore[arg-type]
    assert mock.requests("model-rs")[-1]["body"]["store"] is False
    assert mock.requests("model-ch")[-1]["body"]["store"] is False
    assert mock.requests("model-pl")[-1]["body"]["store"] is True  # only when the Provider says so


def test_context_window_is_a_need(tmp_path: Path, mock: Mock) -> None:
    small = provider("small", mock.url + "/v1", models={"m": "model-small"},
                     model_fields={"contextWindow": 2000})  # fmt: skip
    big = provider("big", mock.url + "/v1", models={"m": "model-big"})  # default 131072
    groups = [G("g", [T("small", weight=1000), T("big", weight=1)]), G("s", [T("small")])]
    config = build([small, big], groups, [evidence(small), evidence(big)])
    long_prompt = [{"role": "user", "content": "x" * 40_000}]  # ~10k tokens
    with run_router(tmp_path, config, provider_keys("small", "big")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="caller", max_retries=0)
        for _ in range(3):
            raw = oai.chat.completions.with_raw_response.create(model="g", messages=long_prompt)  # type: ignore[arg-type]
            assert raw.headers["x-switchyard-upstream"] == "big/m"
        with pytest.raises(openai.BadRequestError, match="exceeds the context window"):
            oai.chat.completions.create(model="s", messages=long_prompt)  # type: ignore[arg-type]
        short = oai.chat.completions.create(model="s", messages=[{"role": "user", "content": "hi"}])
        assert short.choices[0].message.content == "OK"
    assert mock.count("model-small") == 1  # only the short request reached the small model


def test_cap_and_cost_metrics_feed_the_gates(tmp_path: Path, mock: Mock) -> None:
    mock.scenario({"models": {"model-capless": {"honorsMaxTokens": False, "reply": "a b c d e f"}}})
    capless = provider("capless", mock.url + "/v1", models={"m": "model-capless"}, pricing=None)
    config = build([capless], [G("g", [T("capless")])], [evidence(capless)])
    with run_router(tmp_path, config, provider_keys("capless")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="caller", max_retries=0)
        msg = [{"role": "user", "content": "count"}]
        oai.chat.completions.create(model="g", messages=msg, max_completion_tokens=2)  # type: ignore[arg-type]
        oai.chat.completions.create(model="g", messages=msg)  # type: ignore[arg-type]
        router.wait_usage_rows(2)
        metrics = router.metrics()
    labels = '{group="g",model="m",provider="capless"}'
    assert f"switchyard_cap_exceeded_total{labels} 1.0" in metrics  # only the capped request
    assert f"switchyard_cost_missing_total{labels} 2.0" in metrics  # no pricing: no cost


def test_usage_rows_carry_the_upstream_path_and_safe_shape_buckets(
    tmp_path: Path, mock: Mock
) -> None:
    p = provider("sh", mock.url + "/v1", models={"m": "model-sh"})
    config = build([p], [G("g", [T("sh")])], [evidence(p)])
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    turns = [{"role": "user", "content": "secret prompt text"}] * 5
    with run_router(tmp_path, config, provider_keys("sh")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="caller", max_retries=0)
        oai.chat.completions.create(model="g", messages=turns, tools=[tool] * 2)  # type: ignore[arg-type, list-item]
        (row,) = router.wait_usage_rows(1)
    assert (row["upstream_path"], row["messages_bucket"], row["tools_bucket"]) == (
        "/chat/completions", "5-16", "2-4")  # fmt: skip
    assert row["has_images"] is False
    assert "secret prompt" not in str(row)
