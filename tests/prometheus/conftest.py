"""Prometheus tests: the local control plane fixtures for the operator scrape."""

from __future__ import annotations

import sys
from pathlib import Path

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

__all__ = ["k8s_cluster", "kubeconfig", "kubectl", "namespace", "pytest_collection_finish"]
