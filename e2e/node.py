"""A real Kubernetes node on this machine: containerd + runc, kubelet, kube-proxy, CoreDNS.

Why: the operator's job is running smoke Jobs and router Deployments behind readiness probes;
only a real kubelet proves that. The recipe and every setting's reason are in
/work/shared/REAL_NODE.md; the short version of what this module does:

- network: a bridge of our own (`sybr0`, 10.244.0.1/24) that exists only on this machine, the
  Service range routed onto it, CNI `bridge` + `host-local` with no default route in pods, and an
  nftables table that forwards only within the pod subnet. Nothing a pod sends can leave.
- processes: one runner process (e2e/noderunner.py) starts containerd, the kubelet and
  kube-proxy and stays their parent (and the shims' reaper); SIGTERM to it stops them all.
- teardown (`Node.down`): stop the runner, kill what is left by recorded pid or cgroup, unmount,
  delete network namespaces, links, the nftables tables and cgroups, restore the sysctls the
  kubelet changed, remove the directories the node created, then compare with the snapshot taken
  before `up` (`e2e/hoststate.py`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e import hoststate, image, nodebuild, nodeconf
from e2e.localcluster import REPO_ROOT, ClusterError, LocalCluster, free_port, pid_alive

BRIDGE = nodeconf.BRIDGE
NODE_NAME = nodeconf.NODE_NAME
GATEWAY = nodeconf.GATEWAY
RUNNER = "node-runner"
# Sysctls the kubelet (and kube-proxy, in some modes) set, plus the one the node needs itself.
SAVED_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
    "net/ipv4/ip_forward",
    "net/ipv4/conf/all/route_localnet",
    "net/bridge/bridge-nf-call-iptables",
)


def _sysctl_path(key: str) -> Path:
    return Path("/proc/sys") / key


def _run(cmd: Sequence[str], *, check: bool = True, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip
    if check and proc.returncode != 0:
        raise ClusterError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


@dataclass
class Node:
    """The node of one control plane (run dir shared with its LocalCluster)."""

    cluster: LocalCluster

    @property
    def root(self) -> Path:
        return self.cluster.run_dir / "node"

    @property
    def conf(self) -> nodeconf.NodeConf:
        return nodeconf.NodeConf(self.root, self.cluster.pki, self.cluster.bin_dir)

    @property
    def before_file(self) -> Path:
        return self.cluster.run_dir / "host-before.json"

    @property
    def host_file(self) -> Path:
        return self.cluster.run_dir / "host-node.json"

    def ctr(self) -> list[str]:
        return ["ctr", "--address", str(self.conf.containerd_socket)]

    # -- host preparation ---------------------------------------------------------------------
    def prepare_host(self) -> None:
        """Snapshot the host, then create the bridge, route, nftables guard and sysctls."""
        if not self.before_file.exists():
            hoststate.save(self.before_file, hoststate.snapshot())
        saved = hoststate.load(self.host_file) or {
            "sysctls": {k: _sysctl_path(k).read_text().strip() for k in SAVED_SYSCTLS
                        if _sysctl_path(k).exists()},
            "paths": [p for p in hoststate.NODE_PATHS if os.path.lexists(p)],
        }  # fmt: skip
        hoststate.save(self.host_file, saved)
        if not Path(f"/sys/class/net/{BRIDGE}").exists():
            _run(["ip", "link", "add", BRIDGE, "type", "bridge"])
            _run(["ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE])
            _run(["ip", "link", "set", BRIDGE, "up"])
            _run(["ip", "route", "add", nodeconf.SERVICE_CIDR, "dev", BRIDGE, "src", GATEWAY])
        proc = subprocess.run(["nft", "-f", "-"], input=nodeconf.nft_guard(), text=True,
                              capture_output=True, check=False)  # fmt: skip
        if proc.returncode != 0:
            raise ClusterError(f"nft guard table: {proc.stderr}")
        # Pods reach Services through the host: DNAT then forward on the bridge.
        _sysctl_path("net/ipv4/ip_forward").write_text("1\n")

    def restore_host(self) -> list[str]:
        """Undo everything prepare_host and the node did; returns what was cleaned."""
        done: list[str] = []
        saved = hoststate.load(self.host_file) or {"sysctls": {}, "paths": []}
        before = hoststate.load(self.before_file) or {}
        done += self._kill_leftovers()
        done += self._unmount(before.get("mounts", []))
        done += self._delete_netns()
        for link in sorted(os.listdir("/sys/class/net")):
            if link.startswith("veth") and link not in before.get("links", []):
                _run(["ip", "link", "del", link], check=False)
                done.append(f"link {link}")
        if Path(f"/sys/class/net/{BRIDGE}").exists():
            _run(["ip", "link", "del", BRIDGE], check=False)
            done.append(f"link {BRIDGE}")
        proxy = self.cluster.bin_dir / "kube-proxy"
        if proxy.exists():
            _run([str(proxy), "--cleanup"], check=False, env=nodeconf.proxy_env(self.root))
        for table in hoststate.snapshot()["nftTables"]:
            if table not in before.get("nftTables", []):
                _run(["nft", "delete", *table.split()], check=False)
                done.append(f"nft {table}")
        done += self._remove_cgroups(before.get("cgroups", []))
        for key, value in saved["sysctls"].items():
            path = _sysctl_path(key)
            if path.exists() and path.read_text().strip() != value:
                path.write_text(value + "\n")
                done.append(f"sysctl {key}={value}")
        for path in hoststate.NODE_PATHS:
            if os.path.lexists(path) and path not in saved["paths"]:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
                done.append(f"removed {path}")
        return done

    def _kill_leftovers(self) -> list[str]:
        """Processes in the node's cgroups and shims of our containerd, by pid, SIGKILL."""
        sock = str(self.conf.containerd_socket)
        victims: set[int] = set()
        for procs in Path("/sys/fs/cgroup").glob("*/kubepods/**/cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                victims |= {int(x) for x in procs.read_text().split()}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    cmd = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
                    if "containerd-shim" in cmd and sock in cmd:
                        victims.add(int(entry))
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(pid_alive(p) for p in victims) and time.monotonic() < deadline:
            time.sleep(0.1)
        return [f"killed {len(victims)} leftover processes"] if victims else []

    def _unmount(self, before: list[str]) -> list[str]:
        done: list[str] = []
        for _ in range(5):  # stacked mounts: repeat until nothing new is mounted
            mounts = [m for m in hoststate.snapshot()["mounts"] if m not in before]
            if not mounts:
                break
            for mount in sorted(mounts, key=len, reverse=True):
                if _run(["umount", "-l", mount], check=False).returncode == 0:
                    done.append(f"umount {mount}")
        return done

    def _delete_netns(self) -> list[str]:
        done = []
        for base in (Path("/run/netns"), self.root / "containerd" / "state"):
            for ns in base.glob("cni-*") if base.is_dir() else []:
                with contextlib.suppress(OSError):
                    ns.unlink()
                    done.append(f"netns {ns.name}")
        return done

    def _remove_cgroups(self, before: list[str]) -> list[str]:
        done = []
        root = Path("/sys/fs/cgroup")
        for ctrl in sorted(p for p in root.iterdir() if p.is_dir()):
            for name in ("kubepods", "kubelet", "kube-proxy", "system"):
                top = ctrl / name
                rel = str(top.relative_to(root))
                if not top.is_dir() or rel in before:
                    continue
                for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
                    with contextlib.suppress(OSError):
                        os.rmdir(dirpath)
                done.append(f"cgroup {rel}")
        return done

    # -- lifecycle --------------------------------------------------------------------------
    def runner_pid(self) -> int | None:
        try:
            pid = int(self.cluster.pid_file(RUNNER).read_text().strip())
        except (OSError, ValueError):
            return None
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes() if pid_alive(pid) else b""
        return pid if b"e2e.noderunner" in cmd and str(self.root).encode() in cmd else None

    def up(self, timeout: float = 180) -> None:
        """Build what is missing, prepare the host, start the runner, wait for a Ready node."""
        missing = nodebuild.missing_node(nodebuild.build.Paths(self.cluster.bin_dir.parent))
        if missing:
            raise ClusterError(
                f"node binaries missing in {self.cluster.bin_dir}: {', '.join(missing)}; "
                "run `e2e/cluster build --node` first"
            )
        for tool in ("containerd", "runc", "ctr", "nft", "ip"):
            if shutil.which(tool) is None:
                raise ClusterError(f"{tool} is not installed; see README (real node packages)")
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_identity()
        conf = self.conf
        ports = {"kubeletHealthz": free_port(), "proxyHealthz": free_port(),
                 "proxyMetrics": free_port()}  # fmt: skip
        conf.write(self.cluster.state(), ports)
        images = [
            image.binary_image("pause", self.cluster.bin_dir / "pause", nodeconf.PAUSE_TAG),
            image.binary_image("coredns", self.cluster.bin_dir / "coredns",
                               nodebuild.COREDNS_VERSION),
        ]  # fmt: skip
        (self.root / "images.json").write_text(json.dumps([str(i.archive) for i in images]))
        log = (self.cluster.logs / f"{RUNNER}.log").open("ab")
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        child = subprocess.Popen(
            [sys.executable, "-m", "e2e.noderunner", str(self.root)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=REPO_ROOT, env=env,
        )  # fmt: skip
        log.close()
        self.cluster._children[RUNNER] = child
        self.cluster.pid_file(RUNNER).parent.mkdir(parents=True, exist_ok=True)
        self.cluster.pid_file(RUNNER).write_text(f"{child.pid}\n")
        self._wait_ready(child, timeout)
        self.cluster.kubectl("apply", "-f", "-", input=nodeconf.dns_manifest(images[1].ref))
        self.cluster.kubectl("-n", "kube-system", "rollout", "status", "deployment/coredns",
                             f"--timeout={int(timeout)}s", timeout=timeout + 30)  # fmt: skip

    def _write_identity(self) -> None:
        """Client certs for the kubelet and kube-proxy, and the RBAC a node needs."""
        c = self.cluster
        c.sign_client_cert("kubelet", f"system:node:{NODE_NAME}", "system:nodes")
        c.sign_client_cert("kube-proxy", "system:kube-proxy", "system:node-proxier")
        c.kubectl("apply", "-f", "-", input=nodeconf.node_rbac())

    def _wait_ready(self, child: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        log = self.cluster.logs / f"{RUNNER}.log"
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise ClusterError(f"node runner exited ({child.returncode}); log {log}:\n"
                                   f"{_tail(log)}")  # fmt: skip
            if (self.root / "ready").exists() and self.is_ready():
                return
            time.sleep(0.5)
        raise ClusterError(f"node not Ready after {timeout:.0f}s; log {log}:\n{_tail(log)}")

    def is_ready(self) -> bool:
        proc = self.cluster.kubectl("get", "node", NODE_NAME, "-o", "json", check=False)
        if proc.returncode != 0:
            return False
        node = json.loads(proc.stdout)
        conds = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
        taints = [t["key"] for t in node.get("spec", {}).get("taints") or []]
        return conds.get("Ready") == "True" and "node.kubernetes.io/not-ready" not in taints

    def import_image(self, img: image.Image) -> None:
        image.import_image(self.ctr(), img, self.cluster.logs / "image-import.log")

    def down(self) -> list[str]:
        """Stop the runner (it stops its processes), then restore the host."""
        done: list[str] = []
        pid = self.runner_pid()
        child = self.cluster._children.pop(RUNNER, None)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if (child.poll() is not None) if child else not pid_alive(pid):
                    break
                time.sleep(0.2)
            if (child.poll() is None) if child else pid_alive(pid):
                os.killpg(pid, signal.SIGKILL)
            if child is not None:
                child.wait()
            done.append("node runner")
        self.cluster.pid_file(RUNNER).unlink(missing_ok=True)
        if self.host_file.exists() or self.before_file.exists():
            done += self.restore_host()
        return done

    def check_host(self) -> list[str]:
        """Differences between the host now and before `up` (empty: restored)."""
        before = hoststate.load(self.before_file)
        if before is None:
            return []
        return hoststate.diff(before, hoststate.snapshot())

    def forget_host(self) -> None:
        self.before_file.unlink(missing_ok=True)
        self.host_file.unlink(missing_ok=True)

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"runner": self.runner_pid(), "name": NODE_NAME, "ready": False}
        pids = hoststate.load(self.root / "pids.json") or {}
        out["processes"] = {k: (v if pid_alive(int(v)) else None) for k, v in pids.items()}
        if self.runner_pid() is not None:
            out["ready"] = self.is_ready()
            proc = self.cluster.kubectl("get", "pods", "-A", "-o", "wide", check=False)
            out["pods"] = proc.stdout.strip().splitlines()
        return out


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
