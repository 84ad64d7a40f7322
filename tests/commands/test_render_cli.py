"""`switchyard render` and `switchyard crds` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def switchyard(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchyard.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_render_examples() -> None:
    result = switchyard("render", "-f", "examples/")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["kind"] == "RouterConfig" and len(config["revision"]) == 16
    assert {g["name"] for g in config["groups"]} >= {"agent-coding", "codex", "local"}
    assert "apiKey" not in result.stdout or "secret" in result.stdout  # only references, no values


def test_render_is_stable_across_runs(tmp_path: Path) -> None:
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    assert switchyard("render", "-f", "examples/", "-o", str(out1)).returncode == 0
    files = sorted((ROOT / "examples").glob("*.yaml"), reverse=True)
    args = [a for f in files for a in ("-f", str(f))]
    assert switchyard("render", *args, "-o", str(out2)).returncode == 0
    assert out1.read_bytes() == out2.read_bytes()


def test_crds_check_passes_on_the_repo() -> None:
    result = switchyard("crds", "--check")
    assert result.returncode == 0, result.stderr


def test_crds_check_fails_when_stale(tmp_path: Path) -> None:
    assert switchyard("crds", "--dir", str(tmp_path)).returncode == 0
    victim = next(tmp_path.glob("*providers*"))
    victim.write_text(victim.read_text().replace("description", "descr", 1))
    result = switchyard("crds", "--check", "--dir", str(tmp_path))
    assert result.returncode == 1 and "stale" in result.stderr


PROVIDER = """
apiVersion: switchyard.dev/v1alpha1
kind: Provider
metadata: {name: p, namespace: t}
spec:
  baseUrl: https://x.example/v1
  dialect: %(dialect)s
  auth: {scheme: none}
  models: [{name: m, model: up/m}]
"""
GROUP = """
---
apiVersion: switchyard.dev/v1alpha1
kind: ModelGroup
metadata: {name: g, namespace: t}
spec:
  targets: [{provider: %(provider)s, model: %(model)s, weight: %(weight)s}]
"""


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"dialect": "openai-chatty"}, "Provider/t/p: spec.dialect: Input should be"),
        (
            {"weight": "-1"},
            "ModelGroup/t/g: spec.targets[0].weight: Input should be greater than or equal to 0",
        ),
        (
            {"provider": "missing"},
            "ModelGroup/t/g: spec.targets[0].provider: Provider 'missing' not found",
        ),
        (
            {"model": "nope"},
            "ModelGroup/t/g: spec.targets[0].model: Provider 'p' has no model 'nope'",
        ),
    ],
)
def test_bad_input_exits_non_zero_naming_object_and_field(tmp_path: Path, values, expected) -> None:
    params = {"dialect": "openai-chat", "provider": "p", "model": "m", "weight": "1", **values}
    manifest = tmp_path / "bad.yaml"
    manifest.write_text((PROVIDER + GROUP) % params)
    out = tmp_path / "out.json"
    result = switchyard("render", "-f", str(manifest), "-o", str(out))
    assert result.returncode == 1
    assert expected in result.stderr
    assert not out.exists()  # bad input changes nothing


def test_unknown_fields_are_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "typo.yaml"
    manifest.write_text((PROVIDER % {"dialect": "openai-chat"}).replace("baseUrl", "baseURL"))
    result = switchyard("render", "-f", str(manifest))
    assert result.returncode == 1
    assert "Provider/t/p: spec.baseURL: Extra inputs are not permitted" in result.stderr


def test_config_schema_is_json_schema() -> None:
    result = switchyard("config-schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "RouterConfig" and "providers" in schema["properties"]


def test_stateful_sessions_on_several_replicas_need_redis() -> None:
    example = str(ROOT / "examples" / "04-responses-upstream-for-chat-callers.yaml")
    refused = switchyard("render", "-f", example, "--replicas", "3")
    assert refused.returncode == 1
    assert "spec.sessions.stateful: stateful sessions need sessionBackend redis" in refused.stderr
    ok = switchyard("render", "-f", example, "--replicas", "3", "--session-backend", "redis",
                    "--redis-url", "redis://redis.llm.svc:6379/0")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    settings = json.loads(ok.stdout)["settings"]
    assert (settings["sessionBackend"], settings["redisUrl"]) == (
        "redis", "redis://redis.llm.svc:6379/0")  # fmt: skip
    assert switchyard("render", "-f", example, "--replicas", "1").returncode == 0
    workers = switchyard("render", "-f", example, "--replicas", "1", "--workers", "2")
    assert workers.returncode == 1 and "1 router replicas of 2 workers" in workers.stderr
    usage = switchyard("render", "-f", example, "--session-backend", "redis")
    assert usage.returncode == 2 and "needs --redis-url" in usage.stderr
