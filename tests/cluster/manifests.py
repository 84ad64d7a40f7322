"""Helpers shared by the cluster tests: load manifest files and retarget their namespace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty YAML document in ``path``."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def in_namespace(path: Path, namespace: str) -> str:
    """The manifest as YAML with namespaced objects moved into the test's namespace.

    Examples may name a namespace such as ``llm``; validation doesn't depend on it, and each
    test owns exactly one namespace, so the objects are moved there.
    """
    docs = load_documents(path)
    for doc in docs:
        meta = doc.setdefault("metadata", {})
        if doc.get("kind") != "Namespace":
            meta["namespace"] = namespace
    return yaml.safe_dump_all(docs, sort_keys=False)


def expectations(path: Path) -> list[str]:
    """The ``# expect: <text>`` header lines of an invalid manifest."""
    prefix = "# expect:"
    return [
        line[len(prefix) :].strip()
        for line in path.read_text().splitlines()
        if line.startswith(prefix)
    ]
