"""Chart tests: helm comes from the control-plane build (cached), like tests/operator/test_helm."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from e2e.pytest_cluster import pytest_collection_finish  # noqa: E402

__all__ = ["pytest_collection_finish"]
