"""Prometheus' own tools from Debian's `prometheus` package (installed by .ci/run): promtool to
check and unit-test rules, and the server itself for the end-to-end scrape test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "prometheus" / "switchyard.rules.yaml"
RULE_TESTS = Path(__file__).resolve().parent / "switchyard.rules.test.yaml"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AssertionError(f"{name} is missing: .ci/run installs Debian's prometheus package")
    return found


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [r for g in groups for r in g["rules"]]


def alerts() -> list[dict[str, Any]]:
    return [r for r in rules() if "alert" in r]
