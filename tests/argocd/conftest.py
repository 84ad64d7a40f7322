"""Argo CD tests: the local control plane fixtures, and Argo CD's own code built before any test
runs (a cold Go build takes minutes; no test timeout should cover it)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from e2e.pytest_cluster import (  # noqa: E402
    collection_finish_building,
    k8s_cluster,
    kubeconfig,
    kubectl,
    namespace,
)

from .gohealth import binary  # noqa: E402

HERE = Path(__file__).resolve().parent

pytest_collection_finish = collection_finish_building(HERE, binary)

__all__ = ["k8s_cluster", "kubeconfig", "kubectl", "namespace", "pytest_collection_finish"]
