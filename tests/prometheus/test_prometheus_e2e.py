"""A real Prometheus scrapes a real router (and the real operator) on loopback and evaluates the
shipped rules: recording rules follow real traffic, and alerts fire when the fake upstream fails
(or the operator goes away), not before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.operator.harness import free_port

from .server import run_prometheus
from .stack import GROUP, chat, router_stack

LABELS = {"namespace": "llm", "pod": "switchyard-router-0"}


def _value(result: list[dict[str, Any]]) -> float:
    return float(result[0]["value"][1]) if result else float("nan")


def test_alerts_fire_when_the_fake_upstream_fails(tmp_path: Path) -> None:
    with router_stack(tmp_path) as (router, mock):
        jobs = {"switchyard-router": (f"127.0.0.1:{router.port}", LABELS)}
        with run_prometheus(tmp_path, jobs) as prom:
            prom.poll(lambda: prom.query('up{job="switchyard-router"} == 1'), "the router up")
            # healthy traffic, sent while polling (a rate needs increases after the first
            # scrape of a series): recorded, no alert
            sent: list[int] = []
            sel = f'{{namespace="llm",group="{GROUP}",outcome="ok"}}'

            def recorded() -> list[dict[str, Any]]:
                assert len(sent) < 1500, "bounded traffic"
                sent.extend(chat(router, 2))
                return prom.query(f"switchyard:group_requests:rate5m{sel} > 0")

            prom.poll(recorded, "the recording rule to see the traffic")
            assert set(sent) == {200}
            ratio = f'switchyard:group_error_ratio:rate5m{{group="{GROUP}"}}'
            assert not prom.query(f"{ratio} > 0")
            assert not prom.alerts("SwitchyardGroupErrorRateHigh", "firing")
            assert not prom.alerts("SwitchyardGroupErrorRateHigh", "pending")

            # every upstream answers 500: the caller-visible error rate climbs past 5%
            mock.scenario({"defaults": {"failure": {"kind": "server"}}})
            sent.clear()

            def firing() -> list[dict[str, Any]]:
                assert len(sent) < 1500, "bounded traffic"
                sent.extend(chat(router, 5))
                return prom.alerts("SwitchyardGroupErrorRateHigh")

            (alert,) = prom.poll(firing, "SwitchyardGroupErrorRateHigh to fire")
            assert 200 not in sent
            assert alert["labels"] == {
                "alertname": "SwitchyardGroupErrorRateHigh",
                "severity": "critical",
                "namespace": "llm",
                "group": GROUP,
            }
            assert "errors by class" in alert["annotations"]["runbook"]
            assert float(alert["value"]) > 0.05
            assert _value(prom.query(ratio)) > 0.05
            targets = prom.poll(
                lambda: prom.alerts("SwitchyardTargetErrorRateHigh"), "a target alert", 30
            )
            assert {a["labels"]["provider"] for a in targets} <= {"a", "b"}


@pytest.mark.cluster
def test_operator_down_fires_when_the_operator_stops(
    tmp_path: Path, kubeconfig: Any, namespace: str
) -> None:
    port = free_port()
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    cmd = [sys.executable, "-m", "switchyard.cli", "operator", "--namespace", namespace,
           "--metrics-port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        jobs = {"switchyard-operator": (f"127.0.0.1:{port}", {})}
        with run_prometheus(tmp_path, jobs) as prom:
            prom.poll(lambda: prom.query('up{job="switchyard-operator"} == 1'), "operator up")
            # absent(up) was true before the first scrape; one evaluation later it is not
            prom.poll(lambda: not prom.alerts("SwitchyardOperatorDown"), "OperatorDown resolved")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err.decode()[-2000:]
            (alert,) = prom.poll(
                lambda: prom.alerts("SwitchyardOperatorDown"), "SwitchyardOperatorDown"
            )
            assert alert["labels"]["severity"] == "critical"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
