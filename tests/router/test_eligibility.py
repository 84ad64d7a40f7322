"""Eligibility per request: each need is routed only to targets whose evidence covers it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from switchyard.catalog import Dialect, RouterSettings

from .harness import G, Mock, Router, T, build, evidence, provider, provider_keys, run_router

BASIC = ("text", "streaming", "usage")
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}
IMAGE = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
MSG = [{"role": "user", "content": "hi"}]

# need -> (chat request fields, capability named in the refusal)
NEEDS: dict[str, tuple[dict[str, Any], str]] = {
    "tools": ({"tools": [TOOL]}, "tools"),
    "tool_choice": (
        {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "f"}}},
        "toolChoice",
    ),
    "structured": ({"response_format": SCHEMA}, "structuredOutputs"),
    "image": ({"messages": [{"role": "user", "content": IMAGE}]}, "imageInput"),
    "reasoning": ({"reasoning_effort": "low"}, "reasoning"),
    "large": ({"messages": [{"role": "user", "content": "x" * 3000}]}, "largePayload"),
}


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, mock_process: Mock) -> Iterator[Router]:
    url = mock_process.url + "/v1"
    full = provider("full", url, models={"m": "model-full"})
    basic = provider("basic", url, models={"m": "model-basic"})
    nostream = provider("nostream", url, models={"m": "model-nostream"})
    capless = provider("capless", url, models={"m": "model-capless"})
    hosted = provider("hosted", url, Dialect.OPENAI_RESPONSES, models={"m": "model-hosted"})
    groups = [
        G("only-basic", [T("basic")]),
        G("mixed", [T("basic", weight=50), T("full", weight=50)]),
        G("nostream", [T("nostream")]),
        G("capless", [T("capless")]),
        G("tool-only", [T("basic", weight=100), T("full", weight=100, tool_only=True)]),
        G("hosted", [T("hosted")]),
    ]
    runs = [
        evidence(full),
        evidence(basic, tasks=BASIC),
        evidence(nostream, tasks=("text", "usage")),
        evidence(capless, tasks=BASIC, failed=["max-tokens-cap"]),
        evidence(hosted, tasks=BASIC),
    ]
    settings = RouterSettings(large_payload_bytes=2048)
    config = build([full, basic, nostream, capless, hosted], groups, runs, settings)
    keys = provider_keys("full", "basic", "nostream", "capless", "hosted")
    with run_router(tmp_path_factory.mktemp("elig"), config, keys) as r:
        yield r


def _chat(router: Router, group: str, **fields: Any) -> httpx.Response:
    return httpx.post(
        f"{router.v1}/chat/completions", json={"model": group, "messages": MSG, **fields}
    )


@pytest.mark.parametrize("need", sorted(NEEDS))
def test_unmet_need_is_refused_by_name(router: Router, mock: Mock, need: str) -> None:
    fields, capability = NEEDS[need]
    r = _chat(router, "only-basic", **fields)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "NoEligibleTarget" and capability in error["message"]
    assert mock.count("model-basic") == 0  # nothing went upstream


@pytest.mark.parametrize("need", sorted(NEEDS))
def test_met_need_goes_only_to_the_proven_target(router: Router, mock: Mock, need: str) -> None:
    fields, _ = NEEDS[need]
    for _ in range(6):
        r = _chat(router, "mixed", **fields)
        assert r.status_code == 200, r.text
        assert r.headers["x-switchyard-upstream"] == "full/m"
    assert mock.count("model-basic") == 0 and mock.count("model-full") == 6


def test_plain_requests_use_both_targets(router: Router, mock: Mock) -> None:
    served = {_chat(router, "mixed").headers["x-switchyard-upstream"] for _ in range(40)}
    assert served == {"basic/m", "full/m"}


def test_streaming_needs_streaming_evidence(router: Router, mock: Mock) -> None:
    assert _chat(router, "nostream").status_code == 200
    r = _chat(router, "nostream", stream=True)
    assert r.status_code == 400 and "streaming" in r.json()["error"]["message"]


def test_explicit_cap_skips_targets_that_ignore_it(router: Router, mock: Mock) -> None:
    assert _chat(router, "capless").status_code == 200
    r = _chat(router, "capless", max_tokens=5)
    assert r.status_code == 400 and "honorsMaxTokens" in r.json()["error"]["message"]
    assert mock.count("model-capless") == 1


def test_tool_only_target_gets_only_tool_requests(router: Router, mock: Mock) -> None:
    plain = {_chat(router, "tool-only").headers["x-switchyard-upstream"] for _ in range(20)}
    assert plain == {"basic/m"}
    tooled = _chat(router, "tool-only", tools=[TOOL])
    assert tooled.headers["x-switchyard-upstream"] == "full/m"


def test_hosted_tools_need_that_exact_hosted_tool(router: Router, mock: Mock) -> None:
    oai = openai.OpenAI(base_url=router.v1, api_key="x", max_retries=0)
    assert oai.responses.create(model="hosted", input="hi").output_text == "OK"
    with pytest.raises(openai.BadRequestError) as err:
        oai.responses.create(model="hosted", input="hi", tools=[{"type": "web_search"}])
    assert "web_search" in str(err.value)
    assert mock.count("model-hosted") == 1


def test_no_eligible_target_is_counted(router: Router, mock: Mock) -> None:
    _chat(router, "only-basic", tools=[TOOL])
    metrics = router.metrics()
    assert (
        'switchyard_request_errors_total{error_class="NoEligibleTarget",group="only-basic",model="",provider=""}'
        in metrics
    )
