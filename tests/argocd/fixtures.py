"""Objects captured from the cluster test, stored under tests/argocd/objects/ in the layout of
Argo CD's resource_customizations tests (health_test.yaml + one YAML file per case)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parent / "objects"
CASES_FILE = FIXTURES / "health_test.yaml"


def dump_fixture(case: str, obj: dict[str, Any]) -> Path:
    """Store one live object (without managedFields, which only the API server reads)."""
    obj = {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}
    path = FIXTURES / obj["kind"].lower() / f"{case}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(obj, sort_keys=False, width=100))
    return path


def cases() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(input path, object, expected healthStatus) for every stored case."""
    spec = yaml.safe_load(CASES_FILE.read_text())
    out = []
    for t in spec["tests"]:
        obj = yaml.safe_load((FIXTURES / t["inputPath"]).read_text())
        out.append((t["inputPath"], obj, t["healthStatus"]))
    return out
