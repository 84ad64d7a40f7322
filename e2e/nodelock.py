"""One test node per machine, and the nodes of killed sessions taken down before the next one.

A test session brings its node up in a temporary run dir (`RUN_PREFIX*`) and holds `LOCK` until
the node is down and the host checked. A session killed in between (SIGKILL, a cancelled CI job,
the machine's session ending) leaves the bridge, veths, mounts, nftables tables, cgroups and
sysctls behind, and every later session would refuse to start ("a node is already running
here"). Whoever holds the lock knows no live session owns a node, so any run dir of that prefix
still holding a host snapshot was abandoned: `reclaim_abandoned` stops what is left of it with
the same teardown a session runs (`Node.down`) and checks the host against that run's own
snapshot taken before its `up`.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from e2e import nodeconf
from e2e.localcluster import ClusterError, LocalCluster
from e2e.node import Node

LOCK = Path("/run/lock/switchyard-node.lock")
RUN_PREFIX = "switchyard-node-"


@contextlib.contextmanager
def machine_lock(path: Path = LOCK, *, wait: bool = True) -> Iterator[None]:
    """Hold the machine's node lock; a second session waits here until the first is done.

    With `wait=False` a lock held elsewhere is a ClusterError instead (a caller that may run in
    the session that holds it must not wait for itself).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise ClusterError(f"{path} is held: a node tier runs on this machine") from None
        yield


def new_run_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix=RUN_PREFIX))


def take_down(node: Node) -> tuple[list[str], list[str]]:
    """Stop a run dir's node and control plane and restore the host: what was cleaned, and the
    differences from the host snapshot taken before its `up` (none: the host is as before)."""
    cleaned = node.down() + [f"control plane {n}" for n in node.cluster.down()]
    return cleaned, node.check_host()


def reclaim_abandoned(root: Path | None = None) -> list[str]:
    """Tear down the nodes killed sessions left under `root`; call only holding the lock.

    Returns one line per run dir reclaimed. Raises ClusterError, naming what is left, when a
    host cannot be brought back to that run's snapshot: a session must not start on it.
    """
    reclaimed: list[str] = []
    for run_dir in sorted((root or Path(tempfile.gettempdir())).glob(f"{RUN_PREFIX}*")):
        node = Node(LocalCluster(run_dir=run_dir, node_ip=nodeconf.GATEWAY))
        if not (node.before_file.exists() or node.host_file.exists()):
            shutil.rmtree(run_dir, ignore_errors=True)  # killed before its node touched the host
            continue
        cleaned, problems = take_down(node)
        if problems:
            raise ClusterError(
                f"the node a killed session left in {run_dir} could not be taken down; "
                f"{len(problems)} differences from its snapshot, first: {'; '.join(problems[:5])}"
            )
        node.forget_host()
        shutil.rmtree(run_dir, ignore_errors=True)
        reclaimed.append(f"{run_dir}: {len(cleaned)} leftovers cleaned")
    return reclaimed
