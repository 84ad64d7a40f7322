"""Router-level proof: in an open group, image input, large payloads and reasoning reach a target
only once the same probe passed through the router for it. The operator gathers that proof with
its own token and a pin (x-switchyard-pin), which the router judges as in a restricted group."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from switchyard.catalog import Capability, Layer, ProbeResult, RouterSettings, SmokeRun
from switchyard.smoke import decode_compact

from .harness import G, Mock, Router, T, build, evidence, provider, provider_keys, run_router

TOKEN = "operator-token-for-router-proof-tests"
IMAGE = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
TASKS = "image-input,reasoning-effort,large-payload"


def _probe(router: Router, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable, "-m", "switchyard.cli", "probe", "--router", router.url,
        "--group", "open", "--caller-token-env", "SY_TOKEN", "--dialect", "openai-chat",
        "--tasks", TASKS, "--target-bytes", "393216", "--output", "compact", *extra,
    ]  # fmt: skip
    env = {**os.environ, "SY_TOKEN": TOKEN}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)


def _as_run(rows: list[object]) -> SmokeRun:
    return SmokeRun.model_validate(
        {
            "kind": "SmokeRun",
            "metadata": {"name": "full-m-router-1", "namespace": "t"},
            "spec": {"target": {"modelGroup": "open", "pin": "full/m"}, "layer": "router",
                     "executor": "inline"},
            "status": {
                "results": rows,
                "completedAt": datetime(2026, 11, 21, tzinfo=UTC).isoformat(),
                "conditions": [{"type": "Complete", "status": "True", "reason": "Done"}],
            },
        }
    )  # fmt: skip


def test_a_pinned_probe_through_the_router_is_the_proof_an_open_group_waits_for(
    tmp_path: Path, mock: Mock
) -> None:
    full = provider("full", mock.url + "/v1", models={"m": "model-full"})
    settings = RouterSettings(operator_token_digest=hashlib.sha256(TOKEN.encode()).hexdigest())
    direct = evidence(full)
    config = build([full], [G("open", [T("full")])], [direct], settings, through_router=False)
    with run_router(tmp_path, config, provider_keys("full")) as router:
        chat = f"{router.v1}/chat/completions"
        image = {"model": "open", "messages": [{"role": "user", "content": IMAGE}]}
        r = httpx.post(chat, json=image)
        assert r.status_code == 400
        assert "not yet through the router: imageInput" in r.json()["error"]["message"]
        # only the operator's token may pin
        r = httpx.post(chat, json=image, headers={"x-switchyard-pin": "full/m"})
        assert r.status_code == 403
        pinned = {"Authorization": f"Bearer {TOKEN}", "x-switchyard-pin": "nope/m"}
        assert httpx.post(chat, json=image, headers=pinned).status_code == 400

        out = _probe(router, "--pin", "full/m")
        assert out.returncode == 0, out.stderr
        rows = list(decode_compact(out.stdout).rows)
        assert {r.task.value for r in rows} == set(TASKS.split(","))
        assert all(r.result is ProbeResult.PASS for r in rows), rows
        assert {(r.layer, r.selected_upstream, r.bridge_direction) for r in rows} == {
            (Layer.ROUTER, "full/m", None)
        }
        # without the pin the token buys only confirmation requests: nothing passes
        unpinned = decode_compact(_probe(router).stdout).rows
        assert ProbeResult.PASS not in {r.result for r in unpinned}

        proven = build([full], [G("open", [T("full")])], [direct, _as_run(rows)], settings,
                       through_router=False)  # fmt: skip
        model = proven.provider("full").model("m")  # type: ignore[union-attr]
        assert model is not None
        assert {Capability.IMAGE_INPUT, Capability.REASONING, Capability.LARGE_PAYLOAD} <= set(
            model.router_verified
        )
        router.write_config(proven.to_json())
        router.wait_revision(proven.revision)
        r = httpx.post(chat, json=image)
        assert r.status_code == 200, r.text
        assert r.headers["x-switchyard-upstream"] == "full/m"
        assert TOKEN not in router.logs()
