"""Real processes and real catalog objects for router tests.

The router and the fake upstream run as `switchyard` subprocesses on free loopback ports; the
RouterConfig they load is rendered by `switchyard.render` from Provider / ModelGroup / SmokeRun
objects carrying evidence rows, exactly as the operator would.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from switchyard.catalog import (
    ROUTER_PROOF,
    TASK_PROVES,
    Dialect,
    Layer,
    ModelGroup,
    ProbeResult,
    Provider,
    RouterConfig,
    RouterSettings,
    SmokeRun,
)
from switchyard.render import RenderOptions, render

# parallel-tools too: a restricted group bridges what the target proved natively, and real
# clients (Codex) ask for parallel calls explicitly, which a bridge then needs proven
ALL_TASKS = (
    "text", "max-tokens-cap", "auto-tools", "forced-tools", "parallel-tools",
    "structured-outputs", "streaming", "image-input", "reasoning-effort", "usage", "large-payload",
)  # fmt: skip
PROVIDER_KEY = "sk-planted-provider-key-7f3a9c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    """Until `url` answers: a process that exits fails at once, a slow start (a loaded machine
    took over 20 s to import and bind) only waits longer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1.0)
            return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Mock:
    """A running fake upstream."""

    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def scenario(self, data: dict[str, Any]) -> None:
        r = httpx.put(f"{self.url}/_mock/scenario", json=data)
        assert r.status_code == 200, r.text
        httpx.delete(f"{self.url}/_mock/requests")

    def requests(self, model: str | None = None) -> list[dict[str, Any]]:
        params = {"model": model} if model else {}
        rows: list[dict[str, Any]] = httpx.get(f"{self.url}/_mock/requests", params=params).json()[
            "requests"
        ]
        return rows

    def count(self, model: str) -> int:
        by_model: dict[str, int] = httpx.get(f"{self.url}/_mock/requests").json()["byModel"]
        return by_model.get(model, 0)


@contextlib.contextmanager
def run_mock(scenario: Path | None = None) -> Iterator[Mock]:
    port = free_port()
    args = [sys.executable, "-m", "switchyard.cli", "mock-upstream", "--port", str(port)]
    if scenario is not None:
        args += ["--scenario", str(scenario)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_http(f"http://127.0.0.1:{port}/_mock/health", proc)
            yield Mock(port, proc)
        finally:
            stop(proc)
            log.seek(0)
            tail = log.read()[-4000:].decode(errors="replace")
            if "Traceback" in tail:
                print("fake upstream log:\n" + tail)


@dataclass
class Router:
    port: int
    proc: subprocess.Popen[bytes]
    config: Path
    secrets: Path
    usage_file: Path
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"

    def usage_rows(self) -> list[dict[str, Any]]:
        if not self.usage_file.exists():
            return []
        return [orjson.loads(line) for line in self.usage_file.read_bytes().splitlines() if line]

    def wait_usage_rows(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """At least `count` rows. A stream's row is written after its last byte went out, so
        a caller can finish reading before the router has closed the books."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.usage_rows()
            if len(rows) >= count:
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} usage rows, found {len(rows)}")
            time.sleep(0.02)

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics").text

    def wait_metric(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first match of `pattern` in /metrics, once it appears (same reason as above)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.metrics()
            found = re.search(pattern, text)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no metric matching {pattern!r} in:\n{text}")
            time.sleep(0.02)

    def write_config(self, text: str | bytes) -> None:
        """Replace the config file in one step (write aside, then rename), as the kubelet
        does: an in-place write can be read half-done and count as one more bad config."""
        aside = self.config.with_name(self.config.name + ".tmp")
        aside.write_bytes(text.encode() if isinstance(text, str) else text)
        os.replace(aside, self.config)

    def readyz(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.url}/readyz").json()
        return data

    def logs(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def wait_revision(self, revision: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.readyz().get("revision") == revision:
                return
            time.sleep(0.05)
        raise AssertionError(f"router did not load revision {revision}: {self.readyz()}")

    def wait_reload_error(self, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = self.readyz()
            if ready.get("lastReloadError"):
                return ready
            time.sleep(0.05)
        raise AssertionError("router did not report a reload error")


@contextlib.contextmanager
def run_router(
    tmp: Path, config: RouterConfig, secrets: dict[str, dict[str, str]], **env: str
) -> Iterator[Router]:
    secrets_dir = tmp / "secrets"
    write_secrets(secrets_dir, secrets)
    config_path = tmp / "router.json"
    config_path.write_text(config.to_json())
    port = free_port()
    usage_file, log_file = tmp / "usage.jsonl", tmp / "router.log"
    args = [
        sys.executable, "-m", "switchyard.cli", "router", "--config", str(config_path),
        "--host", "127.0.0.1", "--port", str(port), "--secrets-dir", str(secrets_dir),
        "--usage-sink", str(usage_file),
    ]  # fmt: skip
    environ = {**os.environ, "SWITCHYARD_ROUTER_RELOAD_INTERVAL": "0.1", **env}
    with log_file.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=environ)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", proc)
            yield Router(port, proc, config_path, secrets_dir, usage_file, log_file)
        finally:
            stop(proc)


def write_secrets(root: Path, secrets: dict[str, dict[str, str]]) -> None:
    for name, keys in secrets.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for key, value in keys.items():
            (root / name / key).write_text(value + "\n")


# ---------------------------------------------------------------- catalog builders


def provider(
    name: str,
    base_url: str,
    dialect: Dialect = Dialect.OPENAI_CHAT,
    models: dict[str, str] | None = None,
    bridges: Sequence[str] = (),
    pricing: tuple[str, str] | None = ("1.00", "2.00"),
    auth: str = "bearer",
    headers: Sequence[tuple[str, str]] = (),
    key_id: str | None = None,
    model_fields: dict[str, Any] | None = None,
) -> Provider:
    specs = []
    for ref, served in (models or {"m": "m"}).items():
        spec: dict[str, Any] = {"name": ref, "model": served, **(model_fields or {})}
        if pricing:
            spec["pricing"] = {"inputPerMillionUsd": pricing[0], "outputPerMillionUsd": pricing[1]}
        if bridges:
            spec["bridges"] = {b: {"enabled": True} for b in bridges}
        specs.append(spec)
    auth_spec: dict[str, Any] = {"scheme": auth}
    if auth != "none":
        auth_spec["secretRef"] = {"name": "provider-keys", "key": name}
    if key_id is not None:
        auth_spec["keyId"] = key_id
    return Provider.model_validate(
        {
            "kind": "Provider",
            "metadata": {"name": name, "namespace": "t", "generation": 1},
            "spec": {
                "baseUrl": base_url,
                "dialect": dialect.value,
                "auth": auth_spec,
                "headers": [{"name": n, "value": v} for n, v in headers],
                "models": specs,
            },
        }
    )


_RUNS = iter(range(1, 1_000_000))


def evidence(
    provider: Provider,
    model: str = "m",
    tasks: Sequence[str] = ALL_TASKS,
    failed: Sequence[str] = (),
    reasoning: str = "openai-effort",
) -> SmokeRun:
    """A completed direct SmokeRun: `tasks` passed, `failed` failed."""
    dialect = provider.spec.dialect.value
    rows: list[dict[str, Any]] = []
    for task in tasks:
        row: dict[str, Any] = {
            "task": task,
            "dialect": dialect,
            "layer": "direct",
            "result": "pass",
        }
        if task == "reasoning-effort":
            row["detail"] = reasoning
        rows.append(row)
    rows += [{"task": t, "dialect": dialect, "layer": "direct", "result": "fail"} for t in failed]
    return SmokeRun.model_validate(
        {
            "kind": "SmokeRun",
            "metadata": {"name": f"{provider.name}-{model}-{next(_RUNS)}", "namespace": "t"},
            "spec": {"target": {"provider": provider.name, "model": model}, "layer": "direct"},
            "status": {
                "results": rows,
                "completedAt": datetime(2026, 11, 20, tzinfo=UTC).isoformat(),
                "providerGeneration": 1,
                "conditions": [{"type": "Complete", "status": "True", "reason": "Done"}],
            },
        }
    )


@dataclass
class T:
    provider: str
    model: str = "m"
    weight: int = 100
    tool_only: bool = False


@dataclass
class G:
    name: str
    targets: list[T]
    restricted: bool = False
    max_attempts: int = 2
    sessions: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=lambda: ["text"])


def group(g: G) -> ModelGroup:
    spec: dict[str, Any] = {
        "strategy": "static",
        "targets": [
            {"provider": t.provider, "model": t.model, "weight": t.weight, "toolOnly": t.tool_only}
            for t in g.targets
        ],
        "fallback": {"maxAttempts": g.max_attempts},
        "promotion": {"requiredCapabilities": g.required},
    }
    if g.sessions:
        spec["sessions"] = g.sessions
    if g.restricted:
        spec["access"] = {"restricted": True, "callerSecretRef": {"name": f"{g.name}-callers"}}
    return ModelGroup.model_validate(
        {"kind": "ModelGroup", "metadata": {"name": g.name, "namespace": "t"}, "spec": spec}
    )


def router_proof(run: SmokeRun) -> SmokeRun | None:
    """The router-layer run the operator would create after `run` (a direct one): each passing
    ROUTER_PROOF task again, through the router, served by the same target."""
    if run.spec.layer is not Layer.DIRECT:
        return None
    upstream = f"{run.spec.target.provider}/{run.spec.target.model}"
    rows = [
        {"task": r.task.value, "dialect": r.dialect.value, "layer": "router", "result": "pass",
         "selectedUpstream": upstream, "detail": r.detail}
        for r in run.status.results
        if r.result is ProbeResult.PASS and TASK_PROVES.get(r.task) in ROUTER_PROOF
    ]  # fmt: skip
    if not rows:
        return None
    return SmokeRun.model_validate(
        {
            "kind": "SmokeRun",
            "metadata": {
                "name": f"{run.metadata.name}-router",
                "namespace": run.metadata.namespace,
            },
            "spec": {"target": {"modelGroup": "smoke"}, "layer": "router"},
            "status": {**run.status.wire(), "results": rows},
        }
    )


def build(
    providers: Sequence[Provider],
    groups: Sequence[G],
    runs: Sequence[SmokeRun],
    settings: RouterSettings | None = None,
    through_router: bool = True,
) -> RouterConfig:
    """The rendered config; `through_router` adds the router-layer proof of every direct run
    (what the operator gathers on its own), so direct evidence alone is tested with False."""
    if through_router:
        runs = [*runs, *(r for run in runs if (r := router_proof(run)) is not None)]
    return render(
        providers,
        [group(g) for g in groups],
        runs,
        RenderOptions(namespace="t", settings=settings or RouterSettings()),
    )


def provider_keys(*names: str) -> dict[str, dict[str, str]]:
    return {"provider-keys": dict.fromkeys(names, PROVIDER_KEY)}


def kubelet_swap(directory: Path, version: int, files: dict[str, str]) -> None:
    """What the kubelet does: a new timestamped dir, `..data` repointed by an atomic rename,
    the visible names linked through `..data`, the previous dir removed."""
    directory.mkdir(parents=True, exist_ok=True)
    new = directory / f"..2026_12_01_00_00_0{version}.{version}"
    new.mkdir()
    for name, text in files.items():
        (new / name).write_text(text)
    data = directory / "..data"
    old = os.readlink(data) if data.is_symlink() else None
    tmp_link = directory / "..data_tmp"
    tmp_link.symlink_to(new.name)
    os.replace(tmp_link, data)
    for name in files:
        if not (directory / name).is_symlink():
            (directory / name).symlink_to(f"..data/{name}")
    if old is not None:
        shutil.rmtree(directory / old)
