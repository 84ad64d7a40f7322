"""The servers under test: how each is installed (peers: pinned, into the cache) and started.

Every server is configured to send only to the loopback upstream the bench starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tools import cache_dir, free_port, pinned, wait_port

ROOT = Path(__file__).resolve().parent.parent

LITELLM_VERSION = "1.109.1"
# litellm[proxy]==1.109.1 pins litellm-proxy-extras==0.4.113, which the package index does not
# carry; the extra's other requirements are installed by name, with the newest proxy-extras
# there is (it only holds database migrations; the bench runs LiteLLM without a database).
LITELLM_PROXY_DEPS = (
    "uvicorn>=0.33.0,<1.0", "uvloop>=0.22.1,<1.0", "fastapi>=0.136.3,<1.0",
    "starlette>=1.0.1,<2.0", "backoff>=2.2.1,<3.0", "pyyaml>=6.0.3,<7.0", "rq>=2.7.0,<3.0",
    "orjson>=3.11.6,<4.0", "apscheduler>=3.11.2,<4.0", "fastapi-sso>=0.19.0,<1.0",
    "pyjwt>=2.13.0,<3.0", "python-multipart>=0.0.27,<1.0", "cryptography>=49.0.0,<51.0",
    "pynacl>=1.6.2,<2.0", "websockets>=15.0.1,<16.0", "litellm-enterprise==0.1.82",
    "restrictedpython>=8.5,<9.0", "rich>=13.9.4,<14.0", "tomlkit>=0.13.3,<1.0",
    "gunicorn>=23.0.0,<24.0", "mcp>=2.3.0,<3", "httpx2>=2.10.0,<3",
    "litellm-proxy-extras==0.4.110", "expression>=5.6.0,<6.0", "polars>=1.38.1,<2.0",
    "soundfile>=0.12.1,<1.0", "pyroscope-io>=0.8.16,<1.0", "backports-zstd>=1.0.0,<2.0",
    "azure-identity>=1.25.2,<2.0", "azure-storage-blob>=12.28.0,<13.0", "boto3>=1.43.117,<2.0",
    "hiredis>=3.0.0,<4.0", "granian>=2.7.4,<3.0", "inquirerpy>=0.3.4,<1.0",
)  # fmt: skip
# A master key is required (LiteLLM refuses to start without one); any strong value does.
LITELLM_KEY = "sk-bench-7f3a9c2e5b1d4f8a6c0e2b4d6f8a1c3e"

PORTKEY_VERSION = "1.15.2"
# Portkey 1.15.2 on Node appends headers to fetch() responses, whose headers are immutable, so
# every stream fails with "TypeError: immutable" (Portkey-AI/gateway#1389, #1550). This preload
# rewraps fetch() responses; it costs Portkey a Response object per upstream call.
PORTKEY_PRELOAD = """\
const upstreamFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const r = await upstreamFetch(...args);
  return new Response(r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
};
"""


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    base: str  # http://127.0.0.1:port
    headers: list[str] = field(default_factory=list)
    bridges: bool = False  # serves Responses callers from a Chat upstream
    note: str = ""


def _log(name: str) -> int:
    """A log file in the cache (server output is kept for a post-mortem, never printed)."""
    return os.open(cache_dir() / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


def _spawn(name: str, args: list[str], core: int | None, env: dict[str, str] | None = None,
           cwd: Path | None = None, prefix: list[str] | None = None) -> subprocess.Popen[bytes]:  # fmt: skip
    """`prefix` runs the server under another program (instr_bench: valgrind)."""
    fd = _log(name)
    try:
        return subprocess.Popen(
            pinned(core, [*(prefix or []), *args]),
            stdout=fd,
            stderr=fd,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    finally:
        os.close(fd)


def start_bare(upstream: str, core: int | None, prefix: list[str] | None = None) -> Server:
    port = free_port()
    args = [sys.executable, str(ROOT / "bench" / "bare_proxy.py"), "--port", str(port),
            "--upstream", upstream]  # fmt: skip
    proc = _spawn("bare", args, core, prefix=prefix)
    wait_port(port, proc, 30 if prefix is None else 300)
    return Server("bare", proc, f"http://127.0.0.1:{port}")


def start_router(
    upstream: str,
    core: int | None,
    workdir: Path,
    tree: Path | None = None,
    prefix: list[str] | None = None,
) -> Server:
    """The router of this tree, or of another checkout (`tree`, for A/B runs side by side)."""
    name = "router" if tree is None else f"router@{tree.name}"
    workdir = workdir / name
    workdir.mkdir()
    sys.path.insert(0, str(ROOT))
    from switchyard.catalog import Dialect, RouterSettings
    from tests.router.harness import G, T, build, evidence, provider

    p = provider("up", upstream + "/v1", Dialect.OPENAI_CHAT, models={"m": "bench-up"},
                 bridges=["responsesToChat"], auth="none")  # fmt: skip
    config = build([p], [G("bench", [T("up")])], [evidence(p), _bridged_evidence()],
                   RouterSettings())  # fmt: skip
    (workdir / "router.json").write_text(config.to_json())
    port = free_port()
    env = {**os.environ, "SWITCHYARD_ROUTER_USAGE_SINK": str(workdir / "usage.jsonl")}
    if tree is not None:  # ahead of the editable install of this tree
        env["PYTHONPATH"] = str(tree)
    args = [sys.executable, "-m", "switchyard.cli", "router", "--config",
            str(workdir / "router.json"), "--host", "127.0.0.1", "--port", str(port),
            "--secrets-dir", str(workdir)]  # fmt: skip
    proc = _spawn(name, args, core, env=env, cwd=tree or ROOT, prefix=prefix)
    wait_port(port, proc, 60 if prefix is None else 300)
    return Server(name, proc, f"http://127.0.0.1:{port}", bridges=True,
                  note="file usage sink")  # fmt: skip


def _bridged_evidence() -> object:
    """A router-layer SmokeRun proving the bench target through responsesToChat."""
    from switchyard.catalog import SmokeRun
    from tests.router.harness import ALL_TASKS

    rows = [{"task": task, "dialect": "openai-responses", "layer": "router", "result": "pass",
             "selectedUpstream": "up/m", "bridgeDirection": "responsesToChat"}
            for task in ALL_TASKS if task != "reasoning-effort"]  # fmt: skip
    return SmokeRun.model_validate({
        "kind": "SmokeRun",
        "metadata": {"name": "bench-bridged", "namespace": "t"},
        "spec": {"target": {"modelGroup": "bench"}, "layer": "router"},
        "status": {"results": rows, "completedAt": "2026-11-20T00:00:00+00:00",
                   "conditions": [{"type": "Complete", "status": "True", "reason": "Done"}]},
    })  # fmt: skip


def install_litellm() -> Path:
    venv = cache_dir() / f"litellm-{LITELLM_VERSION}"
    done = venv / ".installed"
    if not done.exists():
        print(f"installing LiteLLM {LITELLM_VERSION} into {venv} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"litellm=={LITELLM_VERSION}",
             *LITELLM_PROXY_DEPS], check=True,
        )  # fmt: skip
        done.write_text("ok\n")
    return venv


def start_litellm(upstream: str, core: int | None, workdir: Path) -> Server:
    venv = install_litellm()
    config = {
        "model_list": [{"model_name": "bench", "litellm_params": {
            "model": "openai/bench-up", "api_base": upstream + "/v1", "api_key": "bench"}}],
        "litellm_settings": {"telemetry": False},
    }  # fmt: skip
    (workdir / "litellm.json").write_text(json.dumps(config))  # YAML is a superset of JSON
    port = free_port()
    env = {**os.environ, "LITELLM_MASTER_KEY": LITELLM_KEY, "LITELLM_LOG": "ERROR",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # fmt: skip
    args = [str(venv / "bin" / "litellm"), "--config", str(workdir / "litellm.json"),
            "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]  # fmt: skip
    proc = _spawn("litellm", args, core, env=env)
    wait_port(port, proc, 240)  # imports take ~50 s on a busy machine
    return Server("litellm", proc, f"http://127.0.0.1:{port}",
                  [f"Authorization: Bearer {LITELLM_KEY}"], note=f"{LITELLM_VERSION}, 1 worker")  # fmt: skip


def install_portkey() -> Path:
    root = cache_dir() / f"portkey-{PORTKEY_VERSION}"
    done = root / ".installed"
    if not done.exists():
        print(f"installing @portkey-ai/gateway {PORTKEY_VERSION} into {root} (once)", flush=True)
        root.mkdir(parents=True, exist_ok=True)
        package = {"private": True, "dependencies": {"@portkey-ai/gateway": PORTKEY_VERSION}}
        (root / "package.json").write_text(json.dumps(package))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=root, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        done.write_text("ok\n")
    (root / "fetch-fix.mjs").write_text(PORTKEY_PRELOAD)
    return root


def start_portkey(upstream: str, core: int | None, workdir: Path) -> Server:
    root = install_portkey()
    gateway = root / "node_modules" / "@portkey-ai" / "gateway"
    port = free_port()
    args = ["node", "--import", str(root / "fetch-fix.mjs"), "build/start-server.js",
            f"--port={port}", "--headless"]  # fmt: skip
    proc = _spawn("portkey", args, core, cwd=gateway)
    wait_port(port, proc, 120)
    headers = ["x-portkey-provider: openai", f"x-portkey-custom-host: {upstream}/v1",
               "Authorization: Bearer bench"]  # fmt: skip
    return Server("portkey", proc, f"http://127.0.0.1:{port}", headers,
                  note=f"{PORTKEY_VERSION}, Node {_node_version()}")  # fmt: skip


def _node_version() -> str:
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().lstrip("v")


PEERS = {"litellm": start_litellm, "portkey": start_portkey}


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="switchyard-bench-")
