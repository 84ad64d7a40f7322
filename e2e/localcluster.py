"""Run a real Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler).

Why: the operator must be tested against a real API server — schema validation, CEL rules,
server-side apply, garbage collection — not a mock, and this machine has no container engine.
This is what controller-runtime's envtest does, plus the controller-manager and scheduler so that
Deployments, Jobs and owner references behave as in a cluster. There is no kubelet: pods are
created and (given a Node object) bound, but nothing runs them.

Everything listens on 127.0.0.1 only, on free ports, and all state (certificates, etcd data, logs,
pid files, kubeconfig) lives in one run directory. Each component runs in its own process group
with a pid file, so ``down`` stops exactly what ``up`` started, even from another process.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e import build

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICE_CIDR = "10.96.0.0/16"
ADMIN_USER = "switchyard-admin"
# Stop order: dependants first, etcd last, so the API server never loses its store mid-request.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
# No kubelet ever heartbeats, so the node-lifecycle controller would taint every Node
# NotReady/unreachable and evict its pods; the tests' stand-in Node must stay schedulable.
DISABLED_CONTROLLERS = ("node-lifecycle-controller",)


class ClusterError(RuntimeError):
    """The control plane failed to start or to become ready; the message carries the logs."""


def default_run_dir() -> Path:
    """``$SWITCHYARD_CLUSTER_DIR`` or ``~/.cache/switchyard/run/default``."""
    env = os.environ.get("SWITCHYARD_CLUSTER_DIR")
    if env:
        return Path(env).expanduser()
    return build.cache_root().parent / "run" / "default"


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (tiny race window, acceptable locally)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _pid_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class LocalCluster:
    """One control plane rooted at ``run_dir``; a handle usable from any process."""

    run_dir: Path = field(default_factory=default_run_dir)
    bin_dir: Path = field(default_factory=lambda: build.paths().bin)
    # With a real node (e2e/node.py) the API server listens on the node's bridge address instead
    # of loopback, so pods reach it through the kubernetes Service; None: loopback only.
    node_ip: str | None = None
    _children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    # -- paths ------------------------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return self.run_dir / "kubeconfig"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def pki(self) -> Path:
        return self.run_dir / "pki"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / "pids" / f"{name}.pid"

    @property
    def host(self) -> str:
        """The API server's address: the recorded one of a running cluster, else the planned."""
        return str(self.state().get("apiserverHost") or self.node_ip or "127.0.0.1")

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- certificates -----------------------------------------------------------------------
    def _openssl(self, *args: str) -> None:
        proc = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ClusterError(f"openssl {' '.join(args)} failed:\n{proc.stderr}")

    def _make_pki(self) -> None:
        """A throwaway CA, an API serving cert for 127.0.0.1, and the service-account key pair."""
        pki = self.pki
        pki.mkdir(parents=True, exist_ok=True)
        self._openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
            "-subj", "/CN=switchyard-local-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
            "-keyout", str(pki / "ca.key"), "-out", str(pki / "ca.crt"),
        )  # fmt: skip
        self._openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
            "-keyout", str(pki / "apiserver.key"), "-out", str(pki / "apiserver.csr"),
        )  # fmt: skip
        ext = pki / "apiserver.ext"
        node_ip = f"IP:{self.node_ip}," if self.node_ip else ""
        ext.write_text(
            f"subjectAltName={node_ip}IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,"
            "DNS:kubernetes.default,DNS:kubernetes.default.svc\n"
            "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        )
        self._openssl(
            "x509", "-req", "-in", str(pki / "apiserver.csr"), "-CA", str(pki / "ca.crt"),
            "-CAkey", str(pki / "ca.key"), "-CAcreateserial", "-days", "365",
            "-extfile", str(ext), "-out", str(pki / "apiserver.crt"),
        )  # fmt: skip
        self.sign_client_cert("apiserver-kubelet-client", "kube-apiserver-kubelet-client",
                              "system:masters")  # fmt: skip
        self._openssl("genrsa", "-out", str(pki / "sa.key"), "2048")
        self._openssl("rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))

    def sign_client_cert(self, name: str, common_name: str, organization: str) -> None:
        """A client certificate `pki/<name>.crt` signed by the run's CA (kubelet, kube-proxy)."""
        pki = self.pki
        self._openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={common_name}/O={organization}",
            "-keyout", str(pki / f"{name}.key"), "-out", str(pki / f"{name}.csr"),
        )  # fmt: skip
        ext = pki / f"{name}.ext"
        ext.write_text("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")
        self._openssl(
            "x509", "-req", "-in", str(pki / f"{name}.csr"), "-CA", str(pki / "ca.crt"),
            "-CAkey", str(pki / "ca.key"), "-CAcreateserial", "-days", "365",
            "-extfile", str(ext), "-out", str(pki / f"{name}.crt"),
        )  # fmt: skip

    def _write_kubeconfig(self, port: int, token: str) -> None:
        ca = (self.pki / "ca.crt").read_text()
        ca_b64 = base64.b64encode(ca.encode()).decode()
        text = f"""apiVersion: v1
kind: Config
clusters:
- name: switchyard-local
  cluster:
    server: https://{self.host}:{port}
    certificate-authority-data: {ca_b64}
users:
- name: {ADMIN_USER}
  user:
    token: {token}
contexts:
- name: switchyard-local
  context: {{cluster: switchyard-local, user: {ADMIN_USER}, namespace: default}}
current-context: switchyard-local
"""
        self.kubeconfig.write_text(text)
        self.kubeconfig.chmod(0o600)

    # -- processes --------------------------------------------------------------------------
    def _start(self, name: str, args: Sequence[str]) -> None:
        """Start one component in its own process group and record its pid."""
        binary = self.bin_dir / name
        log = (self.logs / f"{name}.log").open("ab")
        child = subprocess.Popen(
            [str(binary), *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.run_dir,
        )
        log.close()
        self._children[name] = child
        pid_file = self.pid_file(name)
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{child.pid}\n")

    def _running_pid(self, name: str) -> int | None:
        """The recorded pid if that process is alive and is still our binary (pids get reused).

        A child this object started is judged by its Popen handle: between fork and exec its
        /proc cmdline is still Python's, so the cmdline check would call it dead.
        """
        child = self._children.get(name)
        if child is not None:
            return child.pid if child.poll() is None else None
        try:
            pid = int(self.pid_file(name).read_text().strip())
        except (OSError, ValueError):
            return None
        if pid_alive(pid) and str(self.bin_dir / name) in _pid_cmdline(pid):
            return pid
        return None

    def _stop(self, name: str, grace: float = 10.0) -> None:
        pid = self._running_pid(name)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while self._alive(name, pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if self._alive(name, pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                while self._alive(name, pid):
                    time.sleep(0.05)
        child = self._children.pop(name, None)
        if child is not None:
            child.wait()
        self.pid_file(name).unlink(missing_ok=True)

    def _alive(self, name: str, pid: int) -> bool:
        """Alive-check that also reaps our own children (a zombie counts as stopped)."""
        child = self._children.get(name)
        if child is not None:
            return child.poll() is None
        return pid_alive(pid)

    # -- readiness --------------------------------------------------------------------------
    def _get(
        self, url: str, *, token: str | None = None, ca: Path | None = None
    ) -> tuple[int, str]:
        if url.startswith("https"):
            ctx = (
                ssl.create_default_context(cafile=str(ca))
                if ca
                else ssl._create_unverified_context()
            )
        else:
            ctx = None
        req = urllib.request.Request(url)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=5, context=ctx) as resp:
                return int(resp.status), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode(errors="replace")
        except (OSError, ssl.SSLError) as exc:
            return 0, str(exc)

    def _wait_http(self, name: str, url: str, timeout: float, **kw: Any) -> None:
        deadline = time.monotonic() + timeout
        last = (0, "")
        while time.monotonic() < deadline:
            if self._running_pid(name) is None:
                raise ClusterError(
                    f"{name} exited during startup; last log lines:\n"
                    f"{_tail(self.logs / f'{name}.log')}"
                )
            last = self._get(url, **kw)
            if last[0] == 200:
                return
            time.sleep(0.25)
        raise ClusterError(
            f"{name} not ready at {url} after {timeout:.0f}s (last: {last[0]} {last[1][:500]}); "
            f"last log lines:\n{_tail(self.logs / f'{name}.log')}"
        )

    # -- kubectl ----------------------------------------------------------------------------
    def kubectl(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the version-matched kubectl against this cluster."""
        proc = subprocess.run(
            [str(self.bin_dir / "kubectl"), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ClusterError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}"
            )
        return proc

    def apply_crds(self, crds_dir: Path, timeout: float = 60) -> list[str]:
        """Apply every CRD in ``crds_dir`` server-side and wait until each is Established."""
        files = sorted(crds_dir.glob("*.yaml"))
        if not files:
            return []
        self.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(crds_dir))
        names = self.kubectl("get", "-f", str(crds_dir), "-o", "name").stdout.split()
        self.kubectl(
            "wait", "--for=condition=Established", f"--timeout={int(timeout)}s", *names,
            timeout=timeout + 30,
        )  # fmt: skip
        return names

    # -- lifecycle --------------------------------------------------------------------------
    def is_running(self) -> bool:
        st = self.state()
        if not st or any(self._running_pid(n) is None for n in COMPONENTS):
            return False
        code, _ = self._get(
            f"https://{self.host}:{st['apiserverPort']}/readyz",
            token=st["token"],
            ca=self.pki / "ca.crt",
        )
        return code == 200

    def up(self, crds_dir: Path | None = REPO_ROOT / "crds", timeout: float = 120) -> Path:
        """Start the control plane (or reuse the running one) and return the kubeconfig path."""
        if self.is_running():
            if crds_dir is not None and crds_dir.is_dir():
                self.apply_crds(crds_dir)
            return self.kubeconfig
        missing = build.missing(build.Paths(self.bin_dir.parent))
        if missing:
            raise ClusterError(
                f"binaries missing or stale in {self.bin_dir}: {', '.join(missing)}; "
                "run `e2e/cluster build` first"
            )
        self.down()  # clear whatever a crashed previous run left behind
        for sub in ("etcd-data", "pki", "pids"):
            shutil.rmtree(self.run_dir / sub, ignore_errors=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()
        try:
            self._up(crds_dir, timeout)
        except BaseException:
            self.down()
            raise
        return self.kubeconfig

    def _up(self, crds_dir: Path | None, timeout: float) -> None:
        self._make_pki()
        token = secrets.token_hex(24)
        (self.pki / "tokens.csv").write_text(
            f'{token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n'
        )
        ports = {
            "etcdClientPort": free_port(),
            "etcdPeerPort": free_port(),
            "apiserverPort": free_port(),
            "controllerManagerPort": free_port(),
            "schedulerPort": free_port(),
        }
        state = {
            "token": token,
            **ports,
            "apiserverHost": self.host,
            "nodeIp": self.node_ip,
            "binDir": str(self.bin_dir),
            "startedAt": time.time(),
        }
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")
        self.state_file.chmod(0o600)
        self._write_kubeconfig(ports["apiserverPort"], token)
        pki = self.pki
        etcd_url = f"http://127.0.0.1:{ports['etcdClientPort']}"
        peer_url = f"http://127.0.0.1:{ports['etcdPeerPort']}"

        self._start("etcd", [
            "--name=default",
            f"--data-dir={self.run_dir / 'etcd-data'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}",
            "--unsafe-no-fsync",  # throwaway test data: skip fsync for speed
            "--log-level=warn",
        ])  # fmt: skip
        self._wait_http("etcd", f"{etcd_url}/health", timeout)

        # With a node, the lease endpoint reconciler publishes advertise-address:secure-port as
        # the kubernetes Service's endpoints, which is what in-cluster clients connect to.
        endpoints = [] if self.node_ip else ["--endpoint-reconciler-type=none"]
        node_flags = ["--kubelet-preferred-address-types=InternalIP"] if self.node_ip else []
        self._start("kube-apiserver", [
            f"--etcd-servers={etcd_url}",
            f"--bind-address={self.host}",
            f"--advertise-address={self.host}",
            f"--secure-port={ports['apiserverPort']}",
            f"--cert-dir={pki}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--authorization-mode=RBAC",
            f"--token-auth-file={pki / 'tokens.csv'}",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            *endpoints,
            *node_flags,
            f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
            "--allow-privileged=true",
            "--v=1",
        ])  # fmt: skip
        api = f"https://{self.host}:{ports['apiserverPort']}"
        self._wait_http("kube-apiserver", f"{api}/readyz", timeout, token=token, ca=pki / "ca.crt")

        kubeconfig = str(self.kubeconfig)
        # No --authentication/authorization-kubeconfig: their secure ports only serve the
        # always-allowed /healthz here, and delegated auth would keep logging errors about the
        # request-header CA this API server (no aggregation front proxy) doesn't publish.
        common = [f"--kubeconfig={kubeconfig}", "--leader-elect=false", "--bind-address=127.0.0.1"]
        self._start("kube-controller-manager", [
            *common,
            f"--secure-port={ports['controllerManagerPort']}",
            f"--cert-dir={pki / 'kcm'}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            "--use-service-account-credentials=true",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # A real node heartbeats, so node lifecycle works as in any cluster (it lifts the
            # not-ready taint once the kubelet reports Ready); without one it stays off.
            "--controllers=*"
            + ("" if self.node_ip else "," + ",".join(f"-{c}" for c in DISABLED_CONTROLLERS)),
            "--v=1",
        ])  # fmt: skip
        self._start("kube-scheduler", [
            *common,
            f"--secure-port={ports['schedulerPort']}",
            f"--cert-dir={pki / 'scheduler'}",
            "--v=1",
        ])  # fmt: skip
        self._wait_http(
            "kube-controller-manager",
            f"https://127.0.0.1:{ports['controllerManagerPort']}/healthz",
            timeout,
        )
        self._wait_http(
            "kube-scheduler", f"https://127.0.0.1:{ports['schedulerPort']}/healthz", timeout
        )
        # The controller-manager is really working once it has created the default namespace's
        # service account; pods can't be admitted in a namespace before that exists.
        self._wait_for(
            lambda: self.kubectl("get", "serviceaccount", "default", check=False).returncode == 0,
            "the controller-manager to create serviceaccount default/default",
            timeout,
            "kube-controller-manager",
        )
        if crds_dir is not None and crds_dir.is_dir():
            self.apply_crds(crds_dir)

    def _wait_for(self, probe: Any, what: str, timeout: float, component: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe():
                return
            time.sleep(0.25)
        raise ClusterError(
            f"timed out after {timeout:.0f}s waiting for {what}; last log lines:\n"
            f"{_tail(self.logs / f'{component}.log')}"
        )

    def down(self) -> list[str]:
        """Stop every component this run dir started; return the names that were running."""
        stopped = [n for n in reversed(COMPONENTS) if self._running_pid(n) is not None]
        for name in reversed(COMPONENTS):
            self._stop(name)
        self.state_file.unlink(missing_ok=True)
        self.kubeconfig.unlink(missing_ok=True)
        shutil.rmtree(self.run_dir / "etcd-data", ignore_errors=True)
        return stopped

    def status(self) -> dict[str, Any]:
        """Per-component pid/liveness plus the API server's /readyz and /version."""
        st = self.state()
        out: dict[str, Any] = {"runDir": str(self.run_dir), "components": {}}
        for name in COMPONENTS:
            out["components"][name] = {"pid": self._running_pid(name)}
        if st:
            api = f"https://{self.host}:{st['apiserverPort']}"
            kw: dict[str, Any] = {"token": st["token"], "ca": self.pki / "ca.crt"}
            code, _ = self._get(f"{api}/readyz", **kw)
            out["server"] = api
            out["ready"] = code == 200
            code, body = self._get(f"{api}/version", **kw)
            if code == 200:
                out["version"] = json.loads(body).get("gitVersion")
            out["kubeconfig"] = str(self.kubeconfig)
        else:
            out["ready"] = False
        return out
