"""Prometheus tests: the local control plane fixtures for the operator scrape, and Prometheus'
PromQL parser built before any test runs (no test timeout should cover a cold Go build)."""

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

from .tools import promql_names  # noqa: E402

HERE = Path(__file__).resolve().parent

pytest_collection_finish = collection_finish_building(HERE, lambda: promql_names([]))

__all__ = ["k8s_cluster", "kubeconfig", "kubectl", "namespace", "pytest_collection_finish"]
