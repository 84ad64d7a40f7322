"""Every metric the dashboard and the rules query exists: each expression is parsed by
Prometheus' own PromQL parser, and each metric name is looked up in a real scrape of a real
router process (with real traffic) and of the real `switchyard operator` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.operator.harness import free_port, wait_for

from .stack import chat, router_stack, series_names
from .tools import dashboard_exprs, promql_names, rules

RECORDED = {r["record"] for r in rules() if "record" in r}
FROM_PROMETHEUS = {"up"}  # set by Prometheus for every scrape


def referenced() -> dict[str, set[str]]:
    """{metric name: expressions using it} over the dashboard and every rule."""
    exprs = [*dashboard_exprs(), *(r["expr"] for r in rules())]
    out: dict[str, set[str]] = {}
    for parsed in promql_names(exprs):
        assert not parsed.get("error"), parsed
        for name in parsed["metrics"]:
            out.setdefault(name, set()).add(parsed["expr"])
    return out


def test_the_parser_reads_names_and_refuses_bad_promql() -> None:
    parsed = promql_names(['sum(rate(a_total{x="1"}[5m])) / on() b', "rate(", '{__name__="c"}'])
    assert parsed[0]["metrics"] == ["a_total", "b"]
    assert parsed[1]["error"]
    assert parsed[2]["metrics"] == ["c"]


def test_router_metrics_in_dashboard_and_rules_exist_in_a_real_scrape(tmp_path: Path) -> None:
    with router_stack(tmp_path) as (router, mock):
        assert set(chat(router, 6)) == {200}
        assert set(chat(router, 2, stream=True)) == {200}
        mock.scenario({"defaults": {"failure": {"kind": "server"}}})  # errors, fallbacks
        assert set(chat(router, 4)) != {200}
        scraped = series_names(router.metrics())
    used = referenced()
    router_names = {n for n in used if n.startswith("switchyard_") and "_operator_" not in n}
    assert router_names, "the dashboard and rules query router metrics"
    missing = sorted(router_names - scraped - RECORDED)
    assert not missing, f"not in a real router scrape: {missing}"
    # the scrape really carried samples for what the dashboard's main panels read
    for name in ("switchyard_skin_requests_total", "switchyard_request_duration_seconds_bucket",
                 "switchyard_tokens_total", "switchyard_fallbacks_total",
                 "switchyard_request_errors_total"):  # fmt: skip
        assert name in scraped, name
    unknown = sorted(set(used) - router_names - RECORDED - FROM_PROMETHEUS)
    assert all(n.startswith("switchyard_operator_") for n in unknown), unknown


@pytest.mark.cluster
def test_operator_metrics_in_dashboard_and_rules_exist_in_a_real_scrape(
    kubeconfig: Any, namespace: str
) -> None:
    port = free_port()
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    cmd = [sys.executable, "-m", "switchyard.cli", "operator", "--namespace", namespace,
           "--metrics-port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        text = wait_for(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read(),
            "the operator's metrics",
        ).decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    scraped = series_names(text)
    wanted = {n for n in referenced() if n.startswith("switchyard_operator_")}
    assert len(wanted) >= 8
    missing = sorted(wanted - scraped)
    assert not missing, f"not in a real operator scrape: {missing}"
