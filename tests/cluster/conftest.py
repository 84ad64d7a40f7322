"""Fixtures for tests against the real local control plane (see e2e/pytest_cluster.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# The e2e tooling is not part of the installed package; make the repo root importable even when
# pytest is started as `pytest` rather than `python -m pytest`.
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
from tests.smoke.conftest import upstream  # noqa: E402 - the fake upstream, for probes

__all__ = [
    "k8s_cluster",
    "kubeconfig",
    "kubectl",
    "namespace",
    "pytest_collection_finish",
    "upstream",
]
