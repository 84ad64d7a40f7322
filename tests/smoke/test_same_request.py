"""The probe, the operator's smoke Job and the router send one request: same path, same auth
scheme, same Provider headers. The fake upstream demands a non-default auth header and a
gateway header, so a probe that sent anything else would be refused (the negative control)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml

from switchyard.catalog import Dialect, ReasoningControl, SmokeRun
from switchyard.operator import smokejobs
from switchyard.wire.reasoning import translate_effort

from ..router.harness import G, T, build, evidence, provider, run_mock, run_router
from .conftest import probe_cli

KEY = "sk-gateway-test-key"
GATEWAY = [("User-Agent", "acme-gateway/2.1"), ("X-Team", "platform")]
COMPARED = ("user-agent", "x-team", "x-api-key", "authorization", "content-type", "accept")


def _scenario(tmp: Path) -> Path:
    path = tmp / "scenario.yaml"
    required = {name: value for name, value in GATEWAY}
    guarded = {"apiKey": KEY, "keyHeader": "x-api-key", "requiredHeaders": required}
    path.write_text(yaml.safe_dump({"models": {"guarded": guarded}}))
    return path


def _run() -> SmokeRun:
    return SmokeRun.model_validate(
        {
            "kind": "SmokeRun",
            "metadata": {"name": "gw-m-g1", "namespace": "t"},
            "spec": {"target": {"provider": "gw", "model": "m"}, "layer": "direct",
                     "tasks": ["text"]},
        }
    )  # fmt: skip


def _seen(record: dict[str, Any]) -> dict[str, str | None]:
    headers = record["headers"]
    return {name: headers.get(name) for name in COMPARED}


def test_probe_job_and_router_send_the_same_request(tmp_path: Path) -> None:
    with run_mock(_scenario(tmp_path)) as mock:
        gw = provider("gw", mock.url + "/v1", models={"m": "guarded"}, auth="x-api-key",
                      headers=GATEWAY)  # fmt: skip

        # the smoke Job's arguments carry the Provider's scheme and headers (not the key)
        args = smokejobs.probe_args(_run(), smokejobs.direct_target(gw, "m"))
        assert args[args.index("--auth-scheme") + 1] == "x-api-key"
        assert [args[i + 1] for i, a in enumerate(args) if a == "--header"] == [
            "User-Agent: acme-gateway/2.1",
            "X-Team: platform",
        ]
        assert KEY not in " ".join(args)

        # the probe run with exactly the Job's arguments passes ...
        env = {smokejobs.KEY_ENV: KEY}
        done = probe_cli(*args, "--output", "json", env=env)
        assert done.returncode == 0, done.stderr
        (row,) = json.loads(done.stdout)["results"]
        assert row["result"] == "pass", row
        probe_request = mock.requests("guarded")[-1]

        # ... and without the Provider's headers the same upstream refuses it (negative control)
        bare = [a for i, a in enumerate(args) if a != "--header" and args[i - 1] != "--header"]
        refused = probe_cli(*bare, "--output", "json", env=env)
        (row,) = json.loads(refused.stdout)["results"]
        assert (row["result"], row["errorClass"]) == ("fail", "Forbidden")

        # the router serves the same Provider and sends the same headers
        config = build([gw], [G("g", [T("gw")])], [evidence(gw)])
        with run_router(tmp_path, config, {"provider-keys": {"gw": KEY}}) as router:
            reply = httpx.post(
                router.v1 + "/chat/completions",
                json={"model": "g", "messages": [{"role": "user", "content": "hi"}],
                      "max_completion_tokens": 16},
                timeout=30,
            )  # fmt: skip
            assert reply.status_code == 200, reply.text
        router_request = mock.requests("guarded")[-1]

    assert router_request["path"] == probe_request["path"] == "/v1/chat/completions"
    assert _seen(router_request) == _seen(probe_request)
    assert _seen(probe_request)["x-api-key"] == KEY
    assert _seen(probe_request)["authorization"] is None


def test_probe_proves_every_control_the_router_writes(upstream: str) -> None:
    """Each ReasoningControl is provable: the probe sends the fragment wire.reasoning writes."""
    dialects = {ReasoningControl.ANTHROPIC_BUDGET: Dialect.ANTHROPIC}
    for control in ReasoningControl:
        dialect = dialects.get(control, Dialect.OPENAI_CHAT)
        model = f"reasoner-{control.value}"
        done = probe_cli("--base-url", upstream, "--model", model, "--dialect", dialect.value,
                         "--tasks", "reasoning-effort", "--reasoning-control", control.value,
                         "--output", "json")  # fmt: skip
        assert done.returncode == 0, done.stderr
        (row,) = json.loads(done.stdout)["results"]
        assert (row["result"], row["detail"]) == ("pass", control.value), row
        sent = httpx.get(upstream.removesuffix("/v1") + f"/_mock/requests?model={model}").json()
        body = sent["requests"][-1]["body"]
        value = 1024 if control is ReasoningControl.ANTHROPIC_BUDGET else "low"
        for key, fragment in translate_effort(value, control, dialect).items():
            assert body[key] == fragment
