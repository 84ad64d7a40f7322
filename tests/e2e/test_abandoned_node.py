"""A node left behind by a killed test session is taken down by the next one, on the real host.

The leftovers are made for real: the bridge, nftables table and sysctl of `prepare_host`, a veth
pair, a node directory, and a process alive in a `kubepods` cgroup (an orphaned pod). The file
name sorts before the node tier's, so this runs before the session's node takes the lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e import hoststate, nodeconf, nodelock  # noqa: E402
from e2e.localcluster import ClusterError, LocalCluster  # noqa: E402
from e2e.node import Node  # noqa: E402

BRIDGE = Path(f"/sys/class/net/{nodeconf.BRIDGE}")
POD_CGROUP = Path("/sys/fs/cgroup/pids/kubepods/pod-killed-session")


@pytest.fixture
def killed_root(tmp_path: Path) -> Iterator[Path]:
    """A temporary root for run dirs, holding the machine's node lock, with no node running.

    Whatever the test leaves (it failed before its reclaim) is taken down afterwards.
    """
    with nodelock.machine_lock(wait=False):
        if BRIDGE.exists():
            pytest.fail(f"a node runs on this machine (bridge {nodeconf.BRIDGE}); stop it first")
        try:
            yield tmp_path
        finally:
            nodelock.reclaim_abandoned(tmp_path)


def _orphaned_pod_process() -> subprocess.Popen[bytes]:
    POD_CGROUP.mkdir(parents=True)
    proc = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL)
    (POD_CGROUP / "cgroup.procs").write_text(f"{proc.pid}\n")
    return proc


def test_a_killed_sessions_node_is_taken_down_and_the_host_restored(killed_root: Path) -> None:
    before = hoststate.snapshot()
    run_dir = killed_root / f"{nodelock.RUN_PREFIX}killed"
    node = Node(LocalCluster(run_dir=run_dir, node_ip=nodeconf.GATEWAY))
    run_dir.mkdir()
    node.prepare_host()
    subprocess.run(["ip", "link", "add", "vethsyk0", "type", "veth", "peer", "name", "vethsyk1"],
                   check=True)  # fmt: skip
    node_path = next(p for p in hoststate.NODE_PATHS if not os.path.lexists(p))
    os.makedirs(node_path)
    pod = _orphaned_pod_process()
    never_started = killed_root / f"{nodelock.RUN_PREFIX}never-started"
    never_started.mkdir()
    unrelated = killed_root / "switchyard-other"
    unrelated.mkdir()
    assert BRIDGE.exists() and len(hoststate.diff(before, hoststate.snapshot())) > 3

    reclaimed = nodelock.reclaim_abandoned(killed_root)

    assert pod.wait(timeout=10) == -9
    assert len(reclaimed) == 1 and reclaimed[0].startswith(f"{run_dir}: ")
    assert not BRIDGE.exists() and not os.path.lexists(node_path) and not POD_CGROUP.exists()
    assert not run_dir.exists() and not never_started.exists() and unrelated.exists()
    assert hoststate.diff(before, hoststate.snapshot()) == []


def test_a_lock_held_elsewhere_is_an_error_not_a_wait(killed_root: Path) -> None:
    held_here = pytest.raises(ClusterError, match="is held: a node tier runs on this machine")
    with held_here, nodelock.machine_lock(wait=False):
        pass
