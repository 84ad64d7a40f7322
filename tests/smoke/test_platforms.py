"""Probes on the cloud platforms against the fake upstream, which verifies what the real services
verify: Bedrock (Anthropic Messages, SigV4 recomputed with botocore, event-stream framing) and
Vertex AI (Anthropic Messages and Gemini, OAuth tokens from its own token endpoint through
google-auth's real JWT-bearer flow). Every task passes; bad credentials are access failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from switchyard.catalog import (
    TASK_PROVES,
    AuthScheme,
    Capability,
    Dialect,
    ErrorClass,
    EvidenceRow,
    LargePayload,
    Layer,
    Platform,
    ProbeResult,
    ProbeTask,
    recommend,
)
from switchyard.smoke import TASKS as ALL
from switchyard.smoke import ProbeOptions, ProbeTarget, run_probes
from tests.router.harness import Mock, run_mock

# hosted tools are proven per tool type and skipped without one; every other task runs
TASKS = [t for t in ALL if t is not ProbeTask.HOSTED_TOOLS]
OPTIONS = ProbeOptions(large_payload=LargePayload(target_bytes=32768, tool_count=4, max_tokens=32))
AKID, SECRET = "AKIDSWITCHYARDTEST01", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSWITCHYARD"
EMAIL = "router@switchyard-test.iam.gserviceaccount.com"
BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def _keypair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


PRIVATE, PUBLIC = _keypair()
OTHER_PRIVATE, _ = _keypair()


def service_account(mock: Mock, private: str = PRIVATE) -> str:
    return orjson.dumps(
        {
            "type": "service_account",
            "project_id": "switchyard-test",
            "private_key_id": "k1",
            "private_key": private,
            "client_email": EMAIL,
            "client_id": "1",
            "token_uri": f"{mock.url}/token",
        }
    ).decode()


def aws_secret(secret: str = SECRET) -> str:
    return orjson.dumps({"Version": 1, "AccessKeyId": AKID, "SecretAccessKey": secret}).decode()


@pytest.fixture(scope="module")
def cloud_mock() -> Iterator[Mock]:
    with run_mock() as mock:
        mock.scenario(
            {
                "defaults": {"parallelToolCalls": True},  # a capable model: every task passes
                "cloud": {
                    "aws": {
                        "region": "us-east-1",
                        "credentials": {AKID: {"secretAccessKey": SECRET}},
                    },
                    "vertex": {
                        "project": "switchyard-test",
                        "region": "us-east5",
                        "serviceAccounts": {EMAIL: PUBLIC},
                    },
                },
            }
        )
        yield mock


def bedrock(mock: Mock, key: str | None = None, region: str = "us-east-1") -> ProbeTarget:
    return ProbeTarget(
        mock.url,
        Layer.DIRECT,
        BEDROCK_MODEL,
        key or aws_secret(),
        20,
        AuthScheme.AWS_SIGV4,
        platform=Platform.BEDROCK,
        region=region,
    )


def vertex(
    mock: Mock,
    model: str,
    key: str | None = None,
    project: str = "switchyard-test",
    region: str = "us-east5",
) -> ProbeTarget:
    return ProbeTarget(
        mock.url + "/v1",
        Layer.DIRECT,
        model,
        key or service_account(mock),
        20,
        AuthScheme.GOOGLE_OAUTH,
        platform=Platform.VERTEX,
        region=region,
        project=project,
    )


def probe(
    target: ProbeTarget, dialect: Dialect, tasks: Sequence[ProbeTask] = tuple(TASKS)
) -> list[EvidenceRow]:
    return asyncio.run(run_probes(target, [dialect], tasks, OPTIONS)).rows


UNDEFINED = {Dialect.ANTHROPIC: {ProbeTask.AUDIO_INPUT}}  # Messages takes no audio
CASES: dict[str, tuple[Callable[[Mock], ProbeTarget], Dialect]] = {
    "bedrock-claude": (bedrock, Dialect.ANTHROPIC),
    "vertex-claude": (lambda m: vertex(m, "claude-sonnet-4-5@20250929"), Dialect.ANTHROPIC),
    "vertex-gemini": (lambda m: vertex(m, "gemini-2.5-flash"), Dialect.GOOGLE),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_task_passes_on_the_platform(cloud_mock: Mock, case: str) -> None:
    make, dialect = CASES[case]
    rows = probe(make(cloud_mock), dialect)
    last = {r.task: r for r in rows}
    undefined = UNDEFINED.get(dialect, set())  # inputs the dialect has no part type for
    expected = {t: ProbeResult.SKIP if t in undefined else ProbeResult.PASS for t in TASKS}
    assert {t: r.result for t, r in last.items()} == expected
    status = recommend(rows, dialect, "run-1", "m")
    unprovable = {Capability.VIDEO_INPUT} | {TASK_PROVES[t] for t in undefined}
    assert set(status.verified.capabilities()) == set(Capability) - unprovable
    assert status.access_failure is None
    sent: list[dict[str, Any]] = [
        r for r in cloud_mock.requests() if r["platform"] == case.split("-", maxsplit=1)[0]
    ]
    assert sent and all(r["status"] == 200 for r in sent[-len(TASKS) :])


def test_bedrock_wire_facts(cloud_mock: Mock) -> None:
    probe(bedrock(cloud_mock), Dialect.ANTHROPIC, [ProbeTask.TEXT, ProbeTask.STREAMING])
    text, stream = [r for r in cloud_mock.requests(BEDROCK_MODEL)][-2:]
    # the model id (with its ':') travels percent-encoded in the path, as botocore sends it
    assert (text["path"].endswith("/invoke") and "%3A" in text["path"]) or ":0/" in text["path"]
    assert stream["path"].endswith("/invoke-with-response-stream")
    assert text["body"]["anthropic_version"] == "bedrock-2023-05-31"
    assert "model" not in text["body"] and "stream" not in stream["body"]
    assert text["headers"]["authorization"].startswith("AWS4-HMAC-SHA256 Credential=" + AKID)
    assert SECRET not in orjson.dumps(text).decode()


def test_vertex_wire_facts(cloud_mock: Mock) -> None:
    probe(vertex(cloud_mock, "claude-x"), Dialect.ANTHROPIC, [ProbeTask.TEXT, ProbeTask.STREAMING])
    text, stream = cloud_mock.requests("claude-x")[-2:]
    base = "/v1/projects/switchyard-test/locations/us-east5/publishers/anthropic/models/claude-x"
    assert (text["path"], stream["path"]) == (base + ":rawPredict", base + ":streamRawPredict")
    assert text["body"]["anthropic_version"] == "vertex-2023-10-16" and "model" not in text["body"]
    assert text["headers"]["authorization"].startswith("Bearer ya29.fake-")
    probe(vertex(cloud_mock, "gemini-y"), Dialect.GOOGLE, [ProbeTask.STREAMING])
    (gem,) = cloud_mock.requests("gemini-y")[-1:]
    assert gem["path"] == (
        "/v1/projects/switchyard-test/locations/us-east5/publishers/google/models/"
        "gemini-y:streamGenerateContent"
    )


@pytest.mark.parametrize(
    ("case", "error_class", "status"),
    [
        ("wrong-secret", ErrorClass.FORBIDDEN, 403),
        ("wrong-region", ErrorClass.FORBIDDEN, 403),
        ("untrusted-service-account", ErrorClass.AUTH_FAILED, None),
        ("wrong-project", ErrorClass.FORBIDDEN, 403),
        ("wrong-location", ErrorClass.MODEL_NOT_FOUND, 404),
    ],
)
def test_bad_credentials_are_access_failures(
    cloud_mock: Mock, case: str, error_class: ErrorClass, status: int | None
) -> None:
    targets = {
        "wrong-secret": (bedrock(cloud_mock, aws_secret("not-the-secret")), Dialect.ANTHROPIC),
        "wrong-region": (bedrock(cloud_mock, region="eu-west-1"), Dialect.ANTHROPIC),
        "untrusted-service-account": (
            vertex(cloud_mock, "gemini-z", service_account(cloud_mock, OTHER_PRIVATE)),
            Dialect.GOOGLE,
        ),
        "wrong-project": (vertex(cloud_mock, "gemini-z", project="someone-else"), Dialect.GOOGLE),
        "wrong-location": (vertex(cloud_mock, "gemini-z", region="europe-west4"), Dialect.GOOGLE),
    }
    target, dialect = targets[case]
    rows = probe(target, dialect, [ProbeTask.ACCESS, ProbeTask.TEXT])
    access, text = rows
    assert (access.result, access.error_class, access.status_code) == (
        ProbeResult.FAIL,
        error_class,
        status,
    )
    assert text.result is ProbeResult.SKIP  # blocked: nothing more is sent
    assert recommend(rows, dialect, "run-1", "m").access_failure is not None


@pytest.mark.parametrize(("lifetime", "same"), [(3600, True), (60, False)])
def test_tokens_are_cached_and_refreshed_before_expiry(lifetime: int, same: bool) -> None:
    with run_mock() as mock:
        vertex_scenario = {
            "project": "switchyard-test",
            "region": "us-east5",
            "serviceAccounts": {EMAIL: PUBLIC},
            "tokenLifetimeSeconds": lifetime,
        }
        mock.scenario({"cloud": {"vertex": vertex_scenario}})
        cloud = vertex(mock, "gemini-e").cloud()
        assert cloud is not None
        url = (
            f"{mock.url}/v1/projects/switchyard-test/locations/us-east5/publishers/google/"
            "models/gemini-e:generateContent"
        )

        async def twice() -> tuple[dict[str, str], dict[str, str]]:
            return (
                await cloud.headers("POST", url, b"", {}),
                await cloud.headers("POST", url, b"", {}),
            )

        first, second = asyncio.run(twice())
        # a token expiring within the refresh margin (5 min) is replaced before it is used
        assert (first == second) is same
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        for headers in (first, second):
            assert httpx.post(url, json=body, headers=headers).status_code == 200
        httpx.post(f"{mock.url}/_mock/expire-tokens")
        stale = httpx.post(url, json=body, headers=second)
        assert stale.status_code == 401 and stale.json()["error"]["status"] == "UNAUTHENTICATED"
