"""Provider platforms: the pydantic model refuses what the CRD's CEL rules refuse."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchyard.catalog import Platform, Provider


def provider(**spec: Any) -> Provider:
    base: dict[str, Any] = {
        "baseUrl": "https://example.test/v1",
        "dialect": "anthropic",
        "models": [{"name": "m", "model": "m"}],
    }
    return Provider.model_validate(
        {"kind": "Provider", "metadata": {"name": "p", "namespace": "n"}, "spec": {**base, **spec}}
    )


def test_valid_platforms() -> None:
    bedrock = provider(platform="bedrock", region="us-east-1", auth={"scheme": "aws-sigv4"})
    assert bedrock.spec.platform is Platform.BEDROCK and bedrock.spec.auth.secret_ref is None
    vertex = provider(
        platform="vertex",
        region="us-east5",
        project="acme-llm-prod",
        dialect="google",
        auth={"scheme": "google-oauth", "secretRef": {"name": "sa", "key": "key.json"}},
    )
    assert vertex.spec.project == "acme-llm-prod"
    assert provider(auth={"scheme": "x-api-key", "secretRef": {"name": "k", "key": "k"}})


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"platform": "bedrock", "auth": {"scheme": "aws-sigv4"}}, "needs region"),
        (
            {
                "platform": "bedrock",
                "region": "us-east-1",
                "dialect": "google",
                "auth": {"scheme": "aws-sigv4"},
            },
            "serves dialect anthropic",
        ),
        (
            {"platform": "bedrock", "region": "us-east-1", "auth": {"scheme": "google-oauth"}},
            "needs auth.scheme aws-sigv4",
        ),
        (
            {"platform": "vertex", "region": "us-east5", "auth": {"scheme": "google-oauth"}},
            "needs project",
        ),
        ({"auth": {"scheme": "aws-sigv4"}}, "needs platform bedrock or vertex"),
        ({"auth": {"scheme": "bearer"}}, "secretRef is required"),
        (
            {
                "platform": "vertex",
                "region": "US East",
                "project": "acme-llm-prod",
                "auth": {"scheme": "google-oauth"},
            },
            "region",
        ),
    ],
)
def test_invalid_platforms(spec: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        provider(**spec)
