"""The router on the cloud platforms: Anthropic Messages on Bedrock (SigV4 from a Secret and from
the process environment) and on Vertex AI, Gemini on Vertex AI, all against the fake upstream
that verifies signatures and tokens. Driven by the official anthropic and openai SDKs, natively
and through bridges (chatToMessages onto Bedrock, chatToGoogle onto Vertex)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anthropic
import openai
import orjson
import pytest

from switchyard.catalog import Dialect, Provider
from tests.smoke.test_platforms import AKID, EMAIL, PUBLIC, SECRET, aws_secret, service_account

from .harness import G, Mock, Router, T, build, evidence, run_mock, run_router

CALLER = "sk-caller-platforms-1"
REPLY = "The quick brown fox jumps over the lazy dog near the river bank today"
ENV_AKID, ENV_SECRET = "AKIDFROMTHEENVIRONMENT", "environment-secret-access-key-0123456789"
HI: list[Any] = [{"role": "user", "content": "hi"}]


def cloud_provider(
    name: str,
    mock: Mock,
    platform: str,
    dialect: Dialect,
    model: str,
    secret: str | None,
    bridges: tuple[str, ...] = (),
) -> Provider:
    spec: dict[str, Any] = {
        "platform": platform,
        "dialect": dialect.value,
        "region": "us-east-1" if platform == "bedrock" else "us-east5",
        "models": [
            {
                "name": "m",
                "model": model,
                "pricing": {"inputPerMillionUsd": "3.00", "outputPerMillionUsd": "15.00"},
                **({"bridges": {b: {"enabled": True} for b in bridges}} if bridges else {}),
            }
        ],
    }
    if platform == "bedrock":
        spec["baseUrl"] = mock.url  # the regional endpoint, overridden to loopback
        spec["auth"] = {"scheme": "aws-sigv4"}
    else:
        spec["baseUrl"] = mock.url + "/v1"
        spec["project"] = "switchyard-test"
        spec["auth"] = {"scheme": "google-oauth"}
    if secret is not None:
        spec["auth"]["secretRef"] = {"name": "cloud", "key": name}
    return Provider.model_validate(
        {
            "kind": "Provider",
            "metadata": {"name": name, "namespace": "t", "generation": 1},
            "spec": spec,
        }
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mock, Router]]:
    with run_mock() as mock:
        credentials = {AKID: {"secretAccessKey": SECRET}, ENV_AKID: {"secretAccessKey": ENV_SECRET}}
        mock.scenario(
            {
                "defaults": {"reply": REPLY},
                "models": {"claude-err": {"midStream": {"afterEvents": 3, "mode": "error"}}},
                "cloud": {
                    "aws": {"region": "us-east-1", "credentials": credentials},
                    "vertex": {
                        "project": "switchyard-test",
                        "region": "us-east5",
                        "serviceAccounts": {EMAIL: PUBLIC},
                    },
                },
            }
        )
        sa = service_account(mock)
        claude = "anthropic.claude-sonnet-4-5-20250929-v1:0"
        providers = [
            cloud_provider(
                "bedrock",
                mock,
                "bedrock",
                Dialect.ANTHROPIC,
                claude,
                aws_secret(),
                ("chatToMessages",),
            ),
            cloud_provider("bedrock-env", mock, "bedrock", Dialect.ANTHROPIC, claude, None),
            cloud_provider(
                "bedrock-bad",
                mock,
                "bedrock",
                Dialect.ANTHROPIC,
                claude,
                aws_secret("not-the-secret"),
            ),
            cloud_provider(
                "bedrock-err", mock, "bedrock", Dialect.ANTHROPIC, "claude-err", aws_secret()
            ),
            cloud_provider("vertex-claude", mock, "vertex", Dialect.ANTHROPIC, "claude-v", sa),
            cloud_provider(
                "vertex-gemini", mock, "vertex", Dialect.GOOGLE, "gemini-v", sa, ("chatToGoogle",)
            ),
        ]
        runs = []
        for p in providers:
            control = "gemini-budget" if p.spec.dialect is Dialect.GOOGLE else "anthropic-budget"
            runs.append(evidence(p, "m", reasoning=control))
        groups = [G(p.name, [T(p.name)], restricted=True, max_attempts=1) for p in providers]
        secrets: dict[str, dict[str, str]] = {
            "cloud": {
                "bedrock": aws_secret(),
                "bedrock-bad": aws_secret("not-the-secret"),
                "bedrock-err": aws_secret(),
                "vertex-claude": sa,
                "vertex-gemini": sa,
            }
        }
        for g in groups:
            secrets[f"{g.name}-callers"] = {"c": CALLER}
        env = {
            "AWS_ACCESS_KEY_ID": ENV_AKID,
            "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        config = build(providers, groups, runs)
        with run_router(tmp_path_factory.mktemp("platforms"), config, secrets, **env) as router:
            yield mock, router


def claude(router: Router) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=router.url, api_key=CALLER, max_retries=0)


def rows(router: Router, group: str, at_least: int = 1) -> list[dict[str, Any]]:
    """The group's usage rows, once ``at_least`` exist (a row lands just after its reply)."""
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in router.usage_rows() if r["group"] == group]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


@pytest.mark.parametrize("group", ["bedrock", "bedrock-env", "vertex-claude"])
def test_anthropic_sdk_on_bedrock_and_vertex(stack: tuple[Mock, Router], group: str) -> None:
    mock, router = stack
    client = claude(router)
    plain = client.messages.create(model=group, max_tokens=256, messages=HI)
    assert plain.content[0].type == "text" and plain.content[0].text == REPLY
    with client.messages.stream(model=group, max_tokens=256, messages=HI) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(texts) == REPLY and len(texts) > 1 and final.stop_reason == "end_turn"
    sent = mock.requests()[-1]
    assert sent["platform"] == group.split("-", maxsplit=1)[0] and sent["status"] == 200
    auth = sent["headers"]["authorization"]
    if group.startswith("bedrock"):
        akid = ENV_AKID if group == "bedrock-env" else AKID
        assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={akid}/")
        assert sent["path"].endswith("/invoke-with-response-stream")
    else:
        assert auth.startswith("Bearer ya29.fake-") and sent["path"].endswith(":streamRawPredict")
    done = rows(router, group, 2)[-2:]
    for row in done:
        assert (row["inbound_skin"], row["target_skin"], row["status"]) == (
            "anthropic",
            "anthropic",
            200,
        )
        cost = (Decimal(row["input_tokens"]) * 3 + Decimal(row["output_tokens"]) * 15) / 10**6
        assert Decimal(row["cost_usd"]) == cost
    assert done[1]["output_tokens"] == final.usage.output_tokens
    logs = router.logs()
    assert SECRET not in logs and ENV_SECRET not in logs and "PRIVATE KEY" not in logs


def test_openai_sdk_through_bridges_onto_platforms(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    client = openai.OpenAI(base_url=router.v1, api_key=CALLER, max_retries=0)
    for group, bridge, target in (
        ("bedrock", "chatToMessages", "anthropic"),
        ("vertex-gemini", "chatToGoogle", "google"),
    ):
        before = len(rows(router, group, 0))
        plain = client.chat.completions.create(model=group, messages=HI)
        assert plain.choices[0].message.content == REPLY
        with client.chat.completions.stream(
            model=group, messages=HI, stream_options={"include_usage": True}
        ) as stream:
            final = stream.get_final_completion()
        assert final.choices[0].message.content == REPLY and final.usage is not None
        row = rows(router, group, before + 2)[-1]
        assert (row["bridge_direction"], row["target_skin"]) == (bridge, target)
        assert row["output_tokens"] == final.usage.completion_tokens
    gemini = mock.requests("gemini-v")[-1]
    assert gemini["path"] == (
        "/v1/projects/switchyard-test/locations/us-east5/publishers/google/models/"
        "gemini-v:streamGenerateContent"
    )


def test_bad_credentials_and_broken_streams(stack: tuple[Mock, Router]) -> None:
    mock, router = stack
    with pytest.raises(anthropic.APIStatusError) as caught:
        claude(router).messages.create(model="bedrock-bad", max_tokens=64, messages=HI)
    assert caught.value.status_code == 502
    refused = mock.requests()[-1]
    assert refused["status"] is None or refused["platform"] == "bedrock"
    assert rows(router, "bedrock-bad")[-1]["error_class"] == "Forbidden"
    # an exception message inside the event stream ends the caller's stream with its error event
    with (
        pytest.raises(anthropic.APIStatusError),
        claude(router).messages.stream(model="bedrock-err", max_tokens=64, messages=HI) as stream,
    ):
        list(stream.text_stream)
    assert rows(router, "bedrock-err")[-1]["error_class"] == "UpstreamError"


def test_native_gemini_caller_on_vertex(stack: tuple[Mock, Router]) -> None:
    import httpx

    _, router = stack
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    resp = httpx.post(
        f"{router.url}/v1beta/models/vertex-gemini:generateContent",
        json=body,
        headers={"x-goog-api-key": CALLER},
    )
    assert resp.status_code == 200, resp.text
    assert orjson.loads(resp.content)["candidates"][0]["content"]["parts"] == [{"text": REPLY}]
