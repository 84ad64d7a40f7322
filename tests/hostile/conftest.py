"""Hostile-input tests: fixtures for the parts that need the local control plane, and the router
stack the request and reply suites share."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

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

from .fuzzstack import MODELS, Stack, run_stack  # noqa: E402


@pytest.fixture(scope="session")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One fake upstream and one router with every route, healthy and broken models and
    fallback groups, shared by the request-type, fuzz and hostile-reply suites."""
    with run_stack(tmp_path_factory.mktemp("hostile-stack"), MODELS, fallback=True) as s:
        yield s


__all__ = [
    "fuzz_stack",
    "k8s_cluster",
    "kubeconfig",
    "kubectl",
    "namespace",
    "pytest_collection_finish",
]
