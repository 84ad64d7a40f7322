"""The real `switchyard probe` command: outputs, exit codes, matrix files, nothing secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from switchyard.catalog import SmokeRun
from switchyard.smoke import decode_compact

from .conftest import PLANTED_KEY, probe_cli

FAST = ["--target-bytes", "16384", "--tool-count", "4"]
ALL = "text,max-tokens-cap,auto-tools,forced-tools,structured-outputs,streaming,image-input,reasoning-effort,usage,large-payload,access"

# Things that must never leave the probe: the key, prompts, tool schemas, image bytes, bodies.
FORBIDDEN = [
    PLANTED_KEY,
    "Reply with exactly",
    "Current weather for a city",
    "iVBORw0KGgo",  # base64 PNG signature
    "Incorrect API key",
    "not entitled",
    "filler",
]


def _no_secrets(*texts: str) -> None:
    for text in texts:
        for needle in FORBIDDEN:
            assert needle not in text, needle


def test_yaml_report_and_exit_zero_with_failures(upstream: str) -> None:
    out = probe_cli("--base-url", upstream, "--model", "plain", "--dialect", "openai-chat",
                    "--tasks", "text,auto-tools,usage")  # fmt: skip
    assert out.returncode == 0, out.stderr
    doc = yaml.safe_load(out.stdout)
    assert doc["probe"]["layer"] == "direct" and doc["probe"]["model"] == "plain"
    assert doc["summary"] == {"pass": 1, "fail": 2, "skip": 0, "info": 0}
    assert [r["task"] for r in doc["results"]] == ["text", "auto-tools", "usage"]
    assert list(doc["recommended"]["verified"]) == ["text"]
    assert "3 rows" in out.stderr and "tokens spent" in out.stderr


def test_strict_exit(upstream: str) -> None:
    failing = probe_cli("--base-url", upstream, "--model", "plain", "--tasks", "text,usage",
                        "--strict-exit", "--output", "json")  # fmt: skip
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["summary"]["fail"] == 1  # evidence still written
    passing = probe_cli("--base-url", upstream, "--model", "thinker", "--tasks", "text",
                        "--strict-exit", "--output", "json")  # fmt: skip
    assert passing.returncode == 0, passing.stdout  # info then pass: the decisive row passed


def test_compact_output_decodes(upstream: str) -> None:
    out = probe_cli("--base-url", upstream, "--model", "good", "--dialect", "anthropic",
                    "--tasks", ALL, "--output", "compact", *FAST)  # fmt: skip
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    assert len(line.encode()) <= 4096 and "\n" not in line
    evidence = decode_compact(line)
    assert len(evidence.rows) == 11
    assert {r.result.value for r in evidence.rows} == {"pass"}
    assert evidence.tokens_spent == sum(
        (r.input_tokens or 0) + (r.output_tokens or 0) for r in evidence.rows
    )


def test_smokerun_output_is_a_valid_manifest(upstream: str, tmp_path: Path) -> None:
    target = tmp_path / "run.yaml"
    out = probe_cli("--base-url", upstream, "--model", "capless", "--tasks", "text,max-tokens-cap",
                    "--output", "smokerun", "--provider", "fake-chat", "--model-ref", "capless",
                    "--namespace", "llm", "--output-file", str(target))  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    doc = yaml.safe_load(target.read_text())
    run = SmokeRun.model_validate(doc)
    assert run.spec.target.provider == "fake-chat" and run.spec.target.model == "capless"
    assert run.metadata.namespace == "llm"
    assert run.status.completed()
    assert run.status.recommended is not None
    assert run.status.recommended["honorsMaxTokens"] is False
    succeeded = next(c for c in run.status.conditions if c.type == "Succeeded")
    assert succeeded.status.value == "False"


def test_matrix_writes_one_file_per_dialect(upstream: str, tmp_path: Path) -> None:
    out = probe_cli("--base-url", upstream, "--model", "chat-only",
                    "--dialects", "openai-chat,anthropic", "--tasks", "text,auto-tools",
                    "--output-dir", str(tmp_path / "matrix"))  # fmt: skip
    assert out.returncode == 0, out.stderr
    files = sorted(p.name for p in (tmp_path / "matrix").iterdir())
    assert files == ["direct-anthropic.yaml", "direct-openai-chat.yaml"]
    chat = yaml.safe_load((tmp_path / "matrix" / "direct-openai-chat.yaml").read_text())
    messages = yaml.safe_load((tmp_path / "matrix" / "direct-anthropic.yaml").read_text())
    assert chat["summary"]["pass"] == 2  # a partial pass is kept as evidence
    assert messages["recommended"]["accessFailure"] == "ModelNotFound"
    assert "openai-chat: 2 pass" in out.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--model", "good"], {}, "--base-url and --model"),
        (["--base-url", "ftp://x", "--model", "good"], {}, "http:// or https://"),
        (["--base-url", "http://127.0.0.1:9/v1", "--model", "good", "--api-key-env", "NOPE_UNSET"],
         {}, "NOPE_UNSET is not set"),
        (["--router", "http://127.0.0.1:9"], {}, "--router needs --group"),
        (["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--output", "smokerun"], {},
         "needs --provider"),
        (["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--image-text", "naïve"], {},
         "--image-text"),
        (["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--target-bytes", "10"], {},
         "large payload"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_sending(
    args: list[str], env: dict[str, str], message: str
) -> None:
    out = probe_cli(*args, env=env)
    assert out.returncode == 2
    assert message in out.stderr
    assert out.stdout == ""


def test_unknown_task_is_an_argument_error() -> None:
    out = probe_cli(
        "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--tasks", "text,telepathy"
    )
    assert out.returncode == 2 and "telepathy" in out.stderr


def test_planted_key_absent_from_every_output(upstream: str, tmp_path: Path) -> None:
    env = {"PROBE_KEY": PLANTED_KEY}
    seen: list[str] = []
    for output in ("yaml", "json", "compact"):
        out = probe_cli("--base-url", upstream, "--model", "keyed", "--api-key-env", "PROBE_KEY",
                        "--tasks", ALL, "--output", output, *FAST, env=env)  # fmt: skip
        assert out.returncode == 0, out.stderr
        seen += [out.stdout, out.stderr]
        if output == "compact":
            evidence = decode_compact(out.stdout)
            assert all(r.result.value == "pass" for r in evidence.rows)  # the key did work
            seen += [json.dumps([r.wire() for r in evidence.rows])]
    matrix = tmp_path / "m"
    out = probe_cli("--base-url", upstream, "--model", "keyed", "--api-key-env", "PROBE_KEY",
                    "--dialects", "openai-chat,openai-responses,anthropic", "--tasks", ALL,
                    "--output", "smokerun", "--provider", "p", "--output-dir", str(matrix),
                    *FAST, env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    seen += [out.stdout, out.stderr] + [p.read_text() for p in matrix.iterdir()]
    # and a failing key: error bodies are classified, never echoed
    wrong = probe_cli("--base-url", upstream, "--model", "keyed", "--api-key-env", "PROBE_KEY",
                      "--tasks", ALL, env={"PROBE_KEY": PLANTED_KEY + "-wrong"})  # fmt: skip
    assert wrong.returncode == 0 and "AuthFailed" in wrong.stdout
    seen += [wrong.stdout, wrong.stderr]
    assert len(seen) >= 10
    _no_secrets(*seen)


def test_the_runbook_matrix_names_are_accepted(upstream: str) -> None:
    done = probe_cli("--base-url", upstream, "--model", "good-model", "--tasks", "text,tools,image",
                     "--dialects", "openai-chat,anthropic", "--output", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    rows = doc["results"] if "results" in doc else [r for d in doc.values() for r in d["results"]]
    assert {(r["dialect"], r["task"]) for r in rows} == {
        (d, t) for d in ("openai-chat", "anthropic") for t in ("text", "auto-tools", "image-input")
    }
