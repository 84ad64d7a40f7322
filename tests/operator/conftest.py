"""Operator tests: the local control plane fixtures (see e2e/pytest_cluster.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from e2e.pytest_cluster import (  # noqa: E402
    k8s_cluster,
    kubeconfig,
    kubectl,
    namespace,
    pytest_collection_finish,
)

__all__ = [
    "admin_env",
    "k8s_cluster",
    "kubeconfig",
    "kubectl",
    "namespace",
    "pytest_collection_finish",
]


@pytest.fixture
def admin_env(kubeconfig: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator with cluster-admin rights."""
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
