"""The hosted-tools task: a provider-hosted tool is proven by the call it shows in the reply."""

from __future__ import annotations

import json

from .conftest import probe_cli


def _rows(upstream: str, model: str, dialect: str) -> tuple[list[dict], dict]:  # type: ignore[type-arg]
    done = probe_cli("--base-url", upstream, "--model", model, "--dialect", dialect,
                     "--tasks", "hosted-tools", "--output", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    return doc["results"], doc["recommended"]


def test_web_search_is_proven_by_its_call(upstream: str) -> None:
    (row,), recommended = _rows(upstream, "searcher", "openai-responses")
    assert (row["result"], row["detail"]) == ("pass", "web_search")
    assert [h["name"] for h in recommended["hostedTools"]] == ["web_search"]


def test_a_provider_without_it_fails_and_proves_nothing(upstream: str) -> None:
    (row,), recommended = _rows(upstream, "good", "openai-responses")
    assert (row["result"], row["errorClass"]) == ("fail", "BadRequest")
    assert not recommended.get("hostedTools")


def test_dialects_without_hosted_tools_skip(upstream: str) -> None:
    (row,), _ = _rows(upstream, "searcher", "openai-chat")
    assert row["result"] == "skip" and "not defined on openai-chat" in row["detail"]
