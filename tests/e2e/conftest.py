"""Fixtures of the node tier (see e2e/pytest_node.py); tests/e2e/test_demo.py needs none."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from e2e.pytest_node import e2e, e2e_ns, pytest_collection_finish  # noqa: E402

__all__ = ["e2e", "e2e_ns", "pytest_collection_finish"]
