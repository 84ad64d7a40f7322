"""Operator at scale: N Providers, their SmokeRun evidence and M ModelGroups in one namespace.

One command, prints figures (never an assertion on time):

    python bench/operator_scale.py                      # 1,000 Providers, 200 ModelGroups
    python bench/operator_scale.py --quick              # 50 / 10

It starts the project's local control plane (e2e/localcluster.py; kube binaries from
~/.cache/switchyard/k8s), runs `switchyard operator` as a subprocess with the admin kubeconfig,
then applies, in this order: one key Secret, N completed SmokeRuns (executor external, status
written through the status subresource: evidence rows for every task, so the operator starts no
probe), N Providers (openai-chat, baseUrl https://p-NNNN.example.invalid/v1, never dialled) and
M static ModelGroups (each naming `--targets` Providers). It measures the time from the last
apply to a `switchyard-router` ConfigMap whose config holds all M groups, the operator's CPU
seconds and peak RSS (/proc), the API requests of that window (kube-apiserver's
apiserver_request_total, by verb and resource) and the operator's reconciles
(switchyard_operator_reconciles_total). Router pods never run: the rollout waits, which is
fine, the figure is the rendered ConfigMap. Only loopback is ever dialled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from e2e.localcluster import LocalCluster, free_port  # noqa: E402
from switchyard.operator.routerres import config_json_of  # noqa: E402

API = "switchyard.dev/v1alpha1"
NAMESPACE = "opscale"
ROUTER = "switchyard-router"
TASKS = ("text", "max-tokens-cap", "auto-tools", "forced-tools", "structured-outputs", "usage")
OURS = {"providers", "modelgroups", "smokeruns", "configmaps", "pods", "deployments"}
OURS |= {"services", "secrets", "events", "jobs"}
CRDS = {"providers", "modelgroups", "smokeruns"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def provider_name(i: int) -> str:
    return f"p-{i:04d}"


def smoke_run(ns: str, i: int) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "SmokeRun",
        "metadata": {"name": f"{provider_name(i)}-m-g1", "namespace": ns},
        "spec": {
            "target": {"provider": provider_name(i), "model": "m"},
            "layer": "direct",
            "tasks": list(TASKS),
            "executor": "external",
        },
    }


def smoke_status(at: str) -> dict[str, Any]:
    row = {"dialect": "openai-chat", "layer": "direct", "result": "pass", "statusCode": 200}
    row |= {"latencyMs": 400, "inputTokens": 18, "outputTokens": 2, "at": at}
    return {
        "status": {
            "conditions": [
                {"type": "Complete", "status": "True", "reason": "JobSucceeded"},
                {"type": "Succeeded", "status": "True", "reason": "AllTasksRan"},
            ],
            "startedAt": at,
            "completedAt": at,
            "providerGeneration": 1,
            "tokensSpent": 120,
            "results": [{"task": t, **row} for t in TASKS],
        }
    }


def provider(ns: str, i: int) -> dict[str, Any]:
    name = provider_name(i)
    return {
        "apiVersion": API,
        "kind": "Provider",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "baseUrl": f"https://{name}.example.invalid/v1",
            "dialect": "openai-chat",
            "auth": {"scheme": "bearer", "secretRef": {"name": "upstream-key", "key": "apiKey"}},
            "models": [{"name": "m", "model": f"model-{i}"}],
        },
    }


def group(ns: str, j: int, providers: int, targets: int) -> dict[str, Any]:
    picks = sorted({(j * targets + k) % providers for k in range(targets)})
    return {
        "apiVersion": API,
        "kind": "ModelGroup",
        "metadata": {"name": f"g-{j:03d}", "namespace": ns},
        "spec": {
            "strategy": "static",
            "targets": [{"provider": provider_name(i), "model": "m", "weight": 1} for i in picks],
        },
    }


class Api:
    """The admin's view of the API server: object writes, its /metrics, the ConfigMap."""

    def __init__(self, cluster: LocalCluster) -> None:
        state = cluster.state()
        self.base = f"https://{cluster.host}:{state['apiserverPort']}"
        self.headers = {"Authorization": f"Bearer {state['token']}"}
        self.ssl = ssl.create_default_context(cafile=str(cluster.pki / "ca.crt"))
        self.session = aiohttp.ClientSession(
            headers=self.headers, connector=aiohttp.TCPConnector(ssl=self.ssl, limit=16)
        )
        self.configmap_gets = 0

    async def close(self) -> None:
        await self.session.close()

    async def call(self, method: str, path: str, body: Any = None, ctype: str = "") -> Any:
        headers = {"Content-Type": ctype} if ctype else {}
        async with self.session.request(
            method, self.base + path, json=body, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status >= 300 and resp.status != 404:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status} {text[:300]}")
            return json.loads(text) if resp.status != 404 and text else None

    async def create_all(self, objs: Iterable[dict[str, Any]], plural: str, ns: str) -> None:
        path = f"/apis/switchyard.dev/v1alpha1/namespaces/{ns}/{plural}"
        await _bounded([self.call("POST", path, o) for o in objs])

    async def patch_status(self, ns: str, plural: str, names: list[str], body: Any) -> None:
        base = f"/apis/switchyard.dev/v1alpha1/namespaces/{ns}/{plural}"
        merge = "application/merge-patch+json"
        await _bounded([self.call("PATCH", f"{base}/{n}/status", body, merge) for n in names])

    async def router_groups(self, ns: str) -> set[str]:
        self.configmap_gets += 1
        cm = await self.call("GET", f"/api/v1/namespaces/{ns}/configmaps/{ROUTER}")
        if not cm:
            return set()
        config = json.loads(config_json_of(cm) or "{}")  # packed (binaryData) when large
        return {g["name"] for g in config.get("groups") or []}

    async def request_counts(self) -> Counter[tuple[str, str]]:
        async with self.session.get(self.base + "/metrics") as resp:
            text = await resp.text()
        counts: Counter[tuple[str, str]] = Counter()
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            resource = labels.get("resource", "")
            if labels.get("subresource"):
                resource += "/" + labels["subresource"]
            counts[(labels.get("verb", ""), resource)] += int(float(line.rsplit(" ", 1)[1]))
        return counts


async def _bounded(calls: list[Any], limit: int = 16) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(c: Any) -> None:
        async with gate:
            await c

    await asyncio.gather(*(one(c) for c in calls))


class Operator:
    """`switchyard operator` as a subprocess; CPU and memory from /proc, metrics from its port."""

    def __init__(self, kubeconfig: Path, ns: str, log: Path, tree: Path) -> None:
        self.metrics_port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(tree),
            "KUBECONFIG": str(kubeconfig),
            "SWITCHYARD_OPERATOR_ROUTER_REPLICAS": "1",
            "SWITCHYARD_OPERATOR_CONFIRM_KEY": "bench-confirm-key-0123456789",
            "SWITCHYARD_OPERATOR_IMAGE": "registry.example.invalid/switchyard:bench",
        }
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "switchyard.cli", "operator", "--namespace", ns,
             "--metrics-port", str(self.metrics_port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=tree,
        )  # fmt: skip
        self.peak_rss_kib = 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) in KiB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        get = {
            k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.*)$", status, re.M)
        }
        return get.get("VmRSS", 0), get.get("VmHWM", 0)

    async def reconciles(self, session: aiohttp.ClientSession) -> Counter[str]:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        async with session.get(url) as resp:
            text = await resp.text()
        out: Counter[str] = Counter()
        for line in text.splitlines():
            if line.startswith("switchyard_operator_reconciles_total{"):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
                out[f"{labels['kind']}/{labels['result']}"] += int(float(line.rsplit(" ", 1)[1]))
        return out

    async def wait_ready(self, session: aiohttp.ClientSession, patience: float = 60) -> None:
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"operator exited with {self.proc.returncode}")
            try:
                await self.reconciles(session)
                return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        raise RuntimeError("operator metrics port never answered")

    def profile(self, out: Path) -> subprocess.Popen[bytes]:
        """py-spy sampling this operator into `out` (collapsed stacks) until SIGINT."""
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        return subprocess.Popen(
            [spy, "record", "--pid", str(self.proc.pid), "--format", "raw", "--rate", "50",
             "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


async def apply_catalog(api: Api, ns: str, n: int, m: int, targets: int) -> None:
    """The key Secret, N completed SmokeRuns, N Providers, M ModelGroups, in that order (the
    evidence first, so no Provider finds itself without a run and asks for a probe)."""
    secret = {"metadata": {"name": "upstream-key"}, "stringData": {"apiKey": "sk-bench"}}
    await api.call("POST", f"/api/v1/namespaces/{ns}/secrets", secret)
    await api.create_all((smoke_run(ns, i) for i in range(n)), "smokeruns", ns)
    at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    names = [f"{provider_name(i)}-m-g1" for i in range(n)]
    await api.patch_status(ns, "smokeruns", names, smoke_status(at))
    await api.create_all((provider(ns, i) for i in range(n)), "providers", ns)
    await api.create_all((group(ns, j, n, targets) for j in range(m)), "modelgroups", ns)


async def wait_rendered(api: Api, op: Operator, want: set[str], deadline: float) -> set[str]:
    """The groups of the router ConfigMap once it holds all of `want` (or at the deadline)."""
    seen: set[str] = set()
    while time.monotonic() < deadline:
        op.peak_rss_kib = max(op.peak_rss_kib, op.rss_kib()[1])
        seen = await api.router_groups(NAMESPACE)
        if want <= seen:
            break
        await asyncio.sleep(0.5)  # the ConfigMap is ~0.9 MB at full size
    return seen


def _ours(key: tuple[str, str]) -> bool:
    """A request on a resource the operator uses: the status subresource of its own kinds too
    (kopf PATCHes its bookkeeping there), not that of pods or Deployments (controllers')."""
    resource, _, sub = key[1].partition("/")
    return resource in OURS and (not sub or resource in CRDS)


def _diff(after: Counter[Any], before: Counter[Any]) -> Counter[Any]:
    return Counter({k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)})


async def measure(cluster: LocalCluster, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    api = Api(cluster)
    ns, n, m = NAMESPACE, args.providers, args.groups
    try:
        await api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        op = Operator(cluster.kubeconfig, ns, workdir / "operator.log", args.operator_tree)
        async with aiohttp.ClientSession() as local:
            await op.wait_ready(local)
            cpu0, rec0 = op.cpu_seconds(), await op.reconciles(local)
            req0 = await api.request_counts()
            spy = op.profile(args.profile) if args.profile else None
            t0 = time.monotonic()
            await apply_catalog(api, ns, n, m, args.targets)
            t_applied = time.monotonic()
            want = {f"g-{j:03d}" for j in range(m)}
            deadline = t_applied + args.timeout
            seen = await wait_rendered(api, op, want, deadline)
            t_done = time.monotonic()
            # the window ends once every object has been reconciled at least once
            while time.monotonic() < deadline:
                rec1 = _diff(await op.reconciles(local), rec0)
                if rec1["Provider/ok"] >= n and rec1["ModelGroup/ok"] >= m:
                    break
                op.peak_rss_kib = max(op.peak_rss_kib, op.rss_kib()[1])
                # each scrape costs the operator CPU (a series per Provider model and group)
                await asyncio.sleep(0.5)
            t_settled = time.monotonic()
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(60)
            cpu1, rec1 = op.cpu_seconds(), await op.reconciles(local)
            req1 = await api.request_counts()
            rss_now, hwm = op.rss_kib()
            # the steady state: what the level reconciles (timers, sweep) cost once all is handled
            await asyncio.sleep(args.idle)
            cpu2, rec2 = op.cpu_seconds(), await op.reconciles(local)
            req2 = await api.request_counts()
    finally:
        if "op" in locals():
            op.stop()  # also when interrupted: never leave the operator running
        await api.close()
    requests = _diff(req1, req0)
    # what this script itself sent in the window (the operator's are the rest)
    mine = Counter({("POST", "smokeruns"): n, ("PATCH", "smokeruns/status"): n})
    mine |= Counter({("POST", "providers"): n, ("POST", "modelgroups"): m})
    mine |= Counter({("POST", "secrets"): 1, ("GET", "configmaps"): api.configmap_gets})
    operator = Counter({k: v - mine.get(k, 0) for k, v in requests.items() if _ours(k)})
    operator = Counter({k: v for k, v in operator.items() if v > 0})
    reconciles = _diff(rec1, rec0)
    idle_requests = Counter({k: v for k, v in _diff(req2, req1).items() if _ours(k)})
    return {
        "providers": n,
        "groups": m,
        "complete": want <= seen,
        "groups_rendered": len(seen & want),
        "apply_seconds": t_applied - t0,
        "render_seconds": t_done - t_applied,
        "settle_seconds": t_settled - t_applied,
        "cpu_seconds": cpu1 - cpu0,
        "peak_rss_mib": max(op.peak_rss_kib, hwm) / 1024,
        "rss_mib": rss_now / 1024,
        "reconciles": dict(reconciles),
        "operator_requests": {f"{v} {r}": c for (v, r), c in sorted(operator.items())},
        "operator_request_total": sum(operator.values()),
        "other_requests": sum(v for k, v in requests.items() if not _ours(k)),
        "idle_seconds": args.idle,
        "idle_cpu_seconds": cpu2 - cpu1,
        "idle_reconciles": sum(_diff(rec2, rec1).values()),
        "idle_requests": sum(idle_requests.values()),
    }


def report(r: dict[str, Any]) -> None:
    total = sum(r["reconciles"].values())
    print(f"\nOperator at scale: {r['providers']} Providers, {r['groups']} ModelGroups")
    print(f"  applied everything in         {r['apply_seconds']:8.1f} s")
    state = "all groups" if r["complete"] else f"ONLY {r['groups_rendered']} groups (timed out)"
    print(f"  last apply -> ConfigMap       {r['render_seconds']:8.1f} s   ({state})")
    print(f"  last apply -> all reconciled  {r['settle_seconds']:8.1f} s")
    print(f"  operator CPU, first apply to all reconciled {r['cpu_seconds']:.1f} s")
    print(f"  operator RSS peak / end       {r['peak_rss_mib']:8.0f} / {r['rss_mib']:.0f} MiB")
    print(f"  reconciles                    {total:8d}   {r['reconciles']}")
    per = r["operator_request_total"] / total if total else 0.0
    print(
        f"  operator API requests         {r['operator_request_total']:8d}   ({per:.1f} per reconcile)"
    )
    for what, count in sorted(r["operator_requests"].items(), key=lambda kv: -kv[1]):
        print(f"      {count:8d}  {what}")
    print(f"  other clients' requests       {r['other_requests']:8d}   (controllers; not ours)")
    print(
        f"  then {r['idle_seconds']:.0f} s idle: {r['idle_cpu_seconds']:.1f} CPU s, "
        f"{r['idle_reconciles']} reconciles, {r['idle_requests']} API requests"
    )
    load = os.getloadavg()
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--targets", type=int, default=5, help="Providers per ModelGroup")
    parser.add_argument("--quick", action="store_true", help="50 Providers, 10 ModelGroups")
    parser.add_argument("--timeout", type=float, default=900, help="give up waiting after (s)")
    parser.add_argument("--idle", type=float, default=35, help="steady-state window after (s)")
    parser.add_argument(
        "--operator-tree",
        type=Path,
        default=REPO,
        help="run the operator of this source tree (A/B, e.g. `git archive main switchyard`)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the operator from the first apply until all reconciled (collapsed stacks)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the control plane running")
    args = parser.parse_args()
    if args.quick:
        args.providers, args.groups = 50, 10
    workdir = Path(tempfile.mkdtemp(prefix="switchyard-opscale-"))
    cluster = LocalCluster(run_dir=workdir / "cluster")
    print(f"control plane in {cluster.run_dir} ...", flush=True)
    cluster.up(crds_dir=REPO / "crds")
    try:
        result = asyncio.run(measure(cluster, args, workdir))
    finally:
        if not args.keep:
            cluster.down()
    report(result)
    print(f"  operator log: {workdir / 'operator.log'}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["complete"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
