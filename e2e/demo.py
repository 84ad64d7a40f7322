"""The whole evidence loop on loopback, in one command: probe -> evidence -> render -> route.

1. start the fake upstream provider (an OpenAI-compatible Chat endpoint that needs a key);
2. probe it with `switchyard probe --output smokerun` (the key comes from an env var only);
3. render a Provider, a ModelGroup and that SmokeRun into a RouterConfig;
4. start the router on it and send requests with the official openai SDK: a plain one (served),
   and one needing image input, which the evidence never proved (refused with the reason);
5. print the usage rows the router wrote, then stop everything.

Run: `python3 e2e/demo.py` (after `pip install -e '.[dev]'`). Only 127.0.0.1 is used.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai
import yaml

KEY = "demo-upstream-key"
SCENARIO = {"models": {"demo-model": {"apiKey": KEY}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1.0)
            return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in 30s")


def switchyard(*args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-m", "switchyard.cli", *args], env=env,
                         capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    return out.stdout


def manifests(base_url: str) -> str:
    provider = {
        "apiVersion": "switchyard.dev/v1alpha1", "kind": "Provider",
        "metadata": {"name": "demo", "namespace": "demo"},
        "spec": {"baseUrl": base_url, "dialect": "openai-chat",
                 "auth": {"scheme": "bearer", "secretRef": {"name": "demo-key", "key": "apiKey"}},
                 "models": [{"name": "m", "model": "demo-model",
                             "pricing": {"inputPerMillionUsd": "0.50", "outputPerMillionUsd": "1.50"}}]},
    }  # fmt: skip
    group = {
        "apiVersion": "switchyard.dev/v1alpha1", "kind": "ModelGroup",
        "metadata": {"name": "assistant", "namespace": "demo"},
        "spec": {"strategy": "static", "targets": [{"provider": "demo", "model": "m"}]},
    }  # fmt: skip
    return yaml.safe_dump_all([provider, group])


def main() -> int:
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            mock_port, router_port = free_port(), free_port()
            (tmp / "scenario.yaml").write_text(yaml.safe_dump(SCENARIO))
            mock = subprocess.Popen([sys.executable, "-m", "switchyard.cli", "mock-upstream",
                                     "--port", str(mock_port), "--scenario", str(tmp / "scenario.yaml")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            procs.append(mock)
            base = f"http://127.0.0.1:{mock_port}/v1"
            wait(f"http://127.0.0.1:{mock_port}/_mock/health", mock)
            print(f"1. fake upstream on {base}")

            env = {**os.environ, "DEMO_API_KEY": KEY}
            run = switchyard("probe", "--base-url", base, "--model", "demo-model",
                             "--dialect", "openai-chat", "--api-key-env", "DEMO_API_KEY",
                             "--output", "smokerun", "--provider", "demo", "--model-ref", "m",
                             "--namespace", "demo", env=env)  # fmt: skip
            smoke = yaml.safe_load(run)
            rows = smoke["status"]["results"]
            print(
                f"2. probed {len(rows)} tasks: "
                + ", ".join(f"{r['task']}={r['result']}" for r in rows)
            )

            (tmp / "catalog.yaml").write_text(manifests(base) + "---\n" + run)
            switchyard("render", "-f", str(tmp / "catalog.yaml"), "-o", str(tmp / "router.json"))
            print(
                f"3. rendered RouterConfig revision {yaml.safe_load((tmp / 'router.json').read_text())['revision']}"
            )

            secrets = tmp / "secrets" / "demo-key"
            secrets.mkdir(parents=True)
            (secrets / "apiKey").write_text(KEY)
            usage = tmp / "usage.jsonl"
            router = subprocess.Popen([sys.executable, "-m", "switchyard.cli", "router",
                                       "--config", str(tmp / "router.json"), "--host", "127.0.0.1",
                                       "--port", str(router_port), "--secrets-dir", str(tmp / "secrets"),
                                       "--usage-sink", str(usage)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            procs.append(router)
            wait(f"http://127.0.0.1:{router_port}/readyz", router)
            client = openai.OpenAI(
                base_url=f"http://127.0.0.1:{router_port}/v1", api_key="caller", max_retries=0
            )
            reply = client.chat.completions.create(
                model="assistant", messages=[{"role": "user", "content": "Reply with exactly OK"}]
            )
            print(f"4. routed: {reply.choices[0].message.content!r} "
                  f"({reply.usage.prompt_tokens if reply.usage else '?'} tokens in)")  # fmt: skip
            try:
                client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": [
                    {"type": "text", "text": "What does it say?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}])  # fmt: skip
                print("   image request was served (unexpected: image input was never probed)")
                return 1
            except openai.BadRequestError as err:
                print(f"   refused: {err.response.json()['error']['message']}")
            print("5. usage rows:")
            for line in usage.read_text().splitlines():
                print("   " + line)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
