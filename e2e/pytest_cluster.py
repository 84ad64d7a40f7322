"""pytest fixtures for tests that need the real local control plane (marker ``cluster``).

Why a plugin module: the fixtures are shared by tests/cluster and the end-to-end tests to come.
Import the fixtures from a conftest (``from e2e.pytest_cluster import *``), or list this module
in a top-level conftest's ``pytest_plugins``.

One control plane per test session (starting one costs ~10-20 s; building it the first time
costs far more, which is why the build runs after collection, outside any per-test timeout),
one namespace per test, and everything stopped at the end of the session.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e import build
from e2e.localcluster import REPO_ROOT, ClusterError, LocalCluster


class Kubectl:
    """The version-matched kubectl bound to the test cluster, with a default namespace."""

    def __init__(self, cluster: LocalCluster, namespace: str | None = None) -> None:
        self.cluster = cluster
        self.namespace = namespace

    def in_namespace(self, namespace: str) -> Kubectl:
        return Kubectl(self.cluster, namespace)

    def __call__(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl; with ``check`` a non-zero exit raises with stderr included."""
        ns = ["--namespace", self.namespace] if self.namespace else []
        return self.cluster.kubectl(*ns, *args, check=check, input=input, timeout=timeout)

    def json(self, *args: str) -> Any:
        """``kubectl get ... -o json`` parsed."""
        return json.loads(self("get", *args, "-o", "json").stdout)


def _wants_cluster(items: list[pytest.Item]) -> bool:
    return any(item.get_closest_marker("cluster") for item in items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the binaries (once, cached) before any test runs, so no test timeout covers it."""
    if _wants_cluster(session.items) and build.missing():
        try:
            build.ensure_built()
        except build.BuildError as exc:
            raise pytest.UsageError(f"building the local control plane failed: {exc}") from exc


def collection_finish_building(
    here: Path, build: Callable[[], object]
) -> Callable[[pytest.Session], None]:
    """A ``pytest_collection_finish`` for a test folder that needs a tool built before its tests
    run (a cold Go build takes minutes; no test timeout should cover it): the control plane as
    usual, then ``build`` when any collected test lives under ``here``."""

    def hook(session: pytest.Session) -> None:
        pytest_collection_finish(session)
        if any(Path(str(item.fspath)).is_relative_to(here) for item in session.items):
            build()

    return hook


class _Shared:
    """The one control plane of this test session, shared by every conftest that imports the
    fixtures. Each conftest importing ``k8s_cluster`` defines its own session fixture; without
    this, tests/cluster and tests/operator would each start a cluster."""

    cluster: LocalCluster | None = None
    users = 0

    @classmethod
    def acquire(cls) -> LocalCluster:
        if cls.cluster is None:
            build.ensure_built(quiet=True)
            configured = os.environ.get("SWITCHYARD_TEST_CLUSTER_DIR")
            run_dir = (
                Path(configured) if configured else Path(tempfile.mkdtemp(prefix="switchyard-k8s-"))
            )
            cluster = LocalCluster(run_dir=run_dir)
            try:
                cluster.up(crds_dir=REPO_ROOT / "crds")
            except BaseException:
                cluster.down()
                raise
            cls.cluster = cluster
        cls.users += 1
        return cls.cluster

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users <= 0 and cls.cluster is not None:
            cluster, cls.cluster, cls.users = cls.cluster, None, 0
            cluster.down()


@pytest.fixture(scope="session")
def k8s_cluster() -> Iterator[LocalCluster]:
    """A running control plane for the whole session, with the repo's CRDs Established.

    It uses its own run dir (``$SWITCHYARD_TEST_CLUSTER_DIR`` or a temp dir), so a developer's
    `e2e/cluster up` cluster is left alone, and it is torn down even when tests fail.
    """
    cluster = _Shared.acquire()
    try:
        yield cluster
    finally:
        _Shared.release()


@pytest.fixture(scope="session")
def kubeconfig(k8s_cluster: LocalCluster) -> Path:
    """Path of an admin kubeconfig for the session cluster."""
    return k8s_cluster.kubeconfig


@pytest.fixture(scope="session")
def kubectl(k8s_cluster: LocalCluster) -> Kubectl:
    """kubectl bound to the session cluster (no default namespace)."""
    return Kubectl(k8s_cluster)


@pytest.fixture
def namespace(kubectl: Kubectl, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards (without waiting for finalization)."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = f"t-{base}-{secrets.token_hex(3)}"
    kubectl("create", "namespace", name)
    # Pods can't be admitted before the controller-manager creates the default service account.
    kubectl(
        "wait", "--for=create", "--timeout=60s", "-n", name, "serviceaccount/default", timeout=90
    )
    try:
        yield name
    finally:
        try:
            kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")
        except ClusterError as exc:  # the cluster itself may be what broke; don't mask that
            print(f"warning: could not delete namespace {name}: {exc}")
