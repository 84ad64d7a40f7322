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


DASHBOARD = REPO / "deploy" / "grafana" / "switchyard.json"
PROMQL_SOURCE = Path(__file__).resolve().parent / "promql"


def promql_names(exprs: list[str]) -> list[dict[str, Any]]:
    """Metric names per expression, from Prometheus' own PromQL parser (tests/prometheus/promql,
    the version of Debian's package), built once into ~/.cache/switchyard."""
    import json

    from e2e.gotool import go_binary

    binary = go_binary(PROMQL_SOURCE, "promql-names")
    proc = subprocess.run(
        [str(binary)], input=json.dumps(exprs), capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AssertionError(f"promql-names failed: {proc.stderr}")
    out: list[dict[str, Any]] = json.loads(proc.stdout)
    return out


GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "6h",
    "$namespace": ".*",
    "$group": ".*",
}


def dashboard_exprs() -> list[str]:
    """Every PromQL expression of the dashboard (panels and label_values() variables), with
    Grafana's variables substituted as Grafana would."""
    import json
    import re

    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            m = re.fullmatch(r"label_values\((.+),\s*\w+\)", var["query"]["query"])
            assert m, var["query"]
            exprs.append(m.group(1))
    out = []
    for expr in exprs:
        for k in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
            expr = expr.replace(k, GRAFANA_VARIABLES[k])  # noqa: PLW2901
        out.append(expr)
    return out
