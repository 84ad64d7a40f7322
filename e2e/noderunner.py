"""The node runner: the one process that is the parent of containerd, the kubelet and kube-proxy.

Why a process of its own: `e2e/cluster up --node` exits, but the node's daemons must keep a
parent that reaps them. The runner is also a child subreaper, so the containerd shims (which
daemonize) are reaped by it instead of piling up as zombies under a PID 1 that does not reap.
SIGTERM makes it stop kube-proxy and the kubelet, kill and delete every container through
containerd, and stop containerd; `e2e.node.Node.down` then restores the host.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from e2e import nodeconf

PR_SET_CHILD_SUBREAPER = 36


def _run(cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


class _StopRequestedError(Exception):
    pass


def _on_term(_sig: int, _frame: object) -> None:
    raise _StopRequestedError


def serve(root: Path) -> int:
    """Start containerd, kubelet, kube-proxy as children; reap everything; stop on SIGTERM."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    conf = nodeconf.NodeConf.load(root)
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        children["containerd"] = conf.start("containerd")
        conf.wait_socket(children["containerd"])
        for archive in json.loads((root / "images.json").read_text()):
            _run(["ctr", "--address", str(conf.containerd_socket), "-n", "k8s.io", "images",
                  "import", archive])  # fmt: skip
        children["kubelet"] = conf.start("kubelet")
        children["kube-proxy"] = conf.start("kube-proxy")
        (root / "pids.json").write_text(json.dumps({k: c.pid for k, c in children.items()}))
        (root / "ready").write_text("ok\n")
        print("node runner: containerd, kubelet and kube-proxy started", flush=True)
        while True:
            pid, status = os.waitpid(-1, 0)
            for name, c in children.items():
                if c.pid == pid:
                    c.returncode = os.waitstatus_to_exitcode(status)
                    print(f"node runner: {name} exited ({c.returncode})", flush=True)
    except _StopRequestedError:
        print("node runner: stopping", flush=True)
    except ChildProcessError:
        print("node runner: no children left", flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        (root / "ready").unlink(missing_ok=True)
        _stop_all(conf, children)
    return 0


def _stop_all(conf: nodeconf.NodeConf, children: dict[str, subprocess.Popen[bytes]]) -> None:
    for name in ("kube-proxy", "kubelet"):
        _terminate(children.get(name), 15)
    if children.get("containerd") and children["containerd"].poll() is None:
        ctr = ["ctr", "--address", str(conf.containerd_socket), "-n", "k8s.io"]
        ids = _run([*ctr, "tasks", "ls", "-q"], check=False).stdout.split()
        for cid in ids:
            _run([*ctr, "tasks", "kill", "-s", "SIGKILL", cid], check=False)
        for cid in ids:
            _run([*ctr, "tasks", "delete", "-f", cid], check=False)
        for cid in _run([*ctr, "containers", "ls", "-q"], check=False).stdout.split():
            _run([*ctr, "containers", "delete", cid], check=False)
    _terminate(children.get("containerd"), 15)
    # Reap whatever was reparented to us (shims, their children).
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _terminate(child: subprocess.Popen[bytes] | None, grace: float) -> None:
    if child is None or child.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGTERM)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


if __name__ == "__main__":
    if len(sys.argv) == 2:
        sys.exit(serve(Path(sys.argv[1])))
    print("usage: python3 -m e2e.noderunner NODE_DIR", file=sys.stderr)
    sys.exit(2)
