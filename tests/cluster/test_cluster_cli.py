"""`e2e/cluster up|status|down` as people and CI use it: a separate control plane, fully stopped.

Why: `down` runs in another process than `up`, so it can only find the components through the
run dir's pid files; this proves it stops every one of them (not only the pytest-owned ones).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.localcluster import COMPONENTS, REPO_ROOT, pid_alive

pytestmark = pytest.mark.cluster

CLI = REPO_ROOT / "e2e" / "cluster"


def cli(run_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CLI), "--run-dir", str(run_dir), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_up_status_down_leaves_nothing_running(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    try:
        up = cli(run_dir, "up")
        assert up.returncode == 0, up.stderr + up.stdout
        kubeconfig = Path(up.stdout.strip().splitlines()[-1])
        assert kubeconfig == run_dir / "kubeconfig" and kubeconfig.is_file()

        status = cli(run_dir, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert report["ready"] is True and report["version"] == "v1.36.3"
        assert report["server"].startswith("https://127.0.0.1:")
        pids = [report["components"][name]["pid"] for name in COMPONENTS]
        assert all(isinstance(pid, int) for pid in pids), report

        again = cli(run_dir, "up")  # idempotent: the running cluster is reused
        assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == str(kubeconfig)
        assert json.loads(cli(run_dir, "status").stdout)["components"] == report["components"]
    finally:
        down = cli(run_dir, "down")
    assert down.returncode == 0, down.stderr
    assert "etcd" in down.stdout
    assert not [pid for pid in pids if pid_alive(pid)], "components left running"
    assert cli(run_dir, "status").returncode == 1
    assert not kubeconfig.exists()
