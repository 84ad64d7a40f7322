"""What a real node may change on the host, captured before `up` and compared after `down`.

Why: the kubelet, containerd, CNI and kube-proxy write sysctls, mounts, network links, cgroups,
netfilter tables and directories outside any run directory. `e2e/cluster down` must leave the
machine as it found it, so `up --node` records this snapshot first and `down` prints the
difference (an empty difference is the check). Values that change on their own (counters,
random ids) are not part of it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

SYSCTL_DIRS = ("vm", "kernel", "net/ipv4", "net/ipv6/conf/all", "net/bridge", "net/netfilter")
# Values the kernel changes by itself; never part of the comparison.
VOLATILE = (
    "kernel/random/",
    "kernel/ns_last_pid",
    "kernel/pty/nr",
    "kernel/tainted",
    "fs/",
    "net/netfilter/nf_conntrack_count",
    "net/ipv4/tcp_fastopen_key",
    "net/ipv4/neigh/",
    "net/ipv4/route/",
    "vm/stat_refresh",
    "vm/drop_caches",
    "vm/compact_memory",
    "kernel/sched_domain",
    "net/ipv4/conf/veth",  # per-pod interfaces come and go with their network namespaces
    "kernel/keys/",  # the kernel's own accounting of keyrings in use
)
# Paths the node may create outside its run directory.
NODE_PATHS = (
    "/var/lib/kubelet",
    "/var/log/containers",
    "/var/log/pods",
    "/run/containerd",
    "/run/netns",
    "/var/lib/cni",
    "/etc/cni",
    "/opt/cni",
    "/opt/containerd",
    "/var/lib/containerd",
    "/etc/kubernetes",
    "/run/calico",
)
# Binaries whose processes belong to a node (any left after `down` is a leak).
NODE_PROCESSES = (
    "containerd",
    "containerd-shim-runc-v2",
    "runc",
    "kubelet",
    "kube-proxy",
    "coredns",
    "pause",
)


def _sysctls() -> dict[str, str]:
    out: dict[str, str] = {}
    for top in SYSCTL_DIRS:
        base = Path("/proc/sys") / top
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = Path(dirpath) / name
                key = str(path.relative_to("/proc/sys"))
                if any(key.startswith(v) for v in VOLATILE):
                    continue
                try:
                    out[key] = " ".join(path.read_text().split())
                except OSError:
                    continue
    return out


def _mounts() -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return sorted({line.split()[4] for line in lines})


def _links() -> list[str]:
    return sorted(n for n in os.listdir("/sys/class/net"))


def _routes() -> list[str]:
    proc = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    return sorted(line.strip() for line in proc.stdout.splitlines() if line.strip())


def _nft_tables() -> list[str]:
    proc = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, check=False)
    return sorted(line.strip() for line in proc.stdout.splitlines() if line.strip())


def _cgroups() -> list[str]:
    """Top-level cgroups of every hierarchy (the node creates `kubepods` there). Deeper ones
    belong to whoever owns their parent: other tenants of the machine create and remove them
    all the time."""
    root = Path("/sys/fs/cgroup")
    out: list[str] = []
    for ctrl in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        out.append(ctrl.name)
        out += [f"{ctrl.name}/{d.name}" for d in sorted(ctrl.iterdir()) if d.is_dir()]
    return out


def node_processes() -> list[str]:
    """Live (non-zombie) processes of node binaries: `pid name`."""
    found: list[str] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            exe = os.readlink(f"/proc/{entry}/exe")
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            continue
        name = os.path.basename(exe.removesuffix(" (deleted)"))
        if name in NODE_PROCESSES:
            found.append(f"{entry} {name}")
    return sorted(found)


def zombies() -> int:
    """Zombies of node binaries: reaped by a proper init, kept forever by this sandbox's PID 1."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, state = stat.split("(", 1)[1].rsplit(")", 1)
        if state.split()[0] == "Z" and name in NODE_PROCESSES:
            count += 1
    return count


def snapshot() -> dict[str, Any]:
    return {
        "sysctls": _sysctls(),
        "mounts": _mounts(),
        "links": _links(),
        "routes": _routes(),
        "nftTables": _nft_tables(),
        "cgroups": _cgroups(),
        "paths": sorted(p for p in NODE_PATHS if os.path.lexists(p)),
        "processes": node_processes(),
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Human-readable differences; empty when the host is as it was."""
    out: list[str] = []
    b_sys, a_sys = before.get("sysctls", {}), after.get("sysctls", {})
    for key in sorted(set(b_sys) | set(a_sys)):
        if b_sys.get(key) != a_sys.get(key):
            out.append(f"sysctl {key}: {b_sys.get(key)!r} -> {a_sys.get(key)!r}")
    for kind in ("mounts", "links", "routes", "nftTables", "cgroups", "paths", "processes"):
        b, a = set(before.get(kind, [])), set(after.get(kind, []))
        out += [f"{kind}: added {x}" for x in sorted(a - b)]
        out += [f"{kind}: removed {x}" for x in sorted(b - a)]
    return out


def save(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def summary(state: dict[str, Any]) -> str:
    return (
        f"{len(state['sysctls'])} sysctls, {len(state['mounts'])} mounts, "
        f"{len(state['links'])} links, {len(state['routes'])} routes, "
        f"{len(state['nftTables'])} nft tables, {len(state['cgroups'])} cgroups, "
        f"{len(state['paths'])} node paths, {len(state['processes'])} node processes"
    )
