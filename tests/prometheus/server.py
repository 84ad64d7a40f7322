"""A real Prometheus (Debian's package) on a free loopback port, scraping loopback targets every
second and evaluating deploy/prometheus/switchyard.rules.yaml every second.

The rules are the shipped ones with each alert's `for:` set to 0s (a test can't wait 10
minutes); the expressions are unchanged.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from tests.operator.harness import free_port

from .tools import RULES, tool

T = TypeVar("T")


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = r.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def alerts(self, name: str, state: str = "firing") -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/alerts", timeout=10).json()
        return [
            a for a in body["data"]["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == state
        ]  # fmt: skip

    def poll(self, fn: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
        """Poll `fn` until it returns something truthy; fail naming what never happened."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited: {self.log.read_text()[-3000:]}")
            last = fn()
            if last:
                return last
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def fast_rules(dest: Path) -> Path:
    doc = yaml.safe_load(RULES.read_text())
    for group in doc["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "0s"
    dest.write_text(yaml.safe_dump(doc))
    return dest


@contextlib.contextmanager
def run_prometheus(tmp: Path, jobs: dict[str, tuple[str, dict[str, str]]]) -> Iterator[Prometheus]:
    """`jobs`: job name -> (host:port on loopback, target labels)."""
    rules = fast_rules(tmp / "rules.yaml")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target], "labels": labels}]}
            for job, (target, labels) in jobs.items()
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = tmp / "prometheus.log"
    args = [
        tool("prometheus"), f"--config.file={tmp / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    prom = Prometheus(f"http://127.0.0.1:{port}", proc, log)
    try:
        prom.poll(lambda: _ready(prom.url), "prometheus to be ready", 60)
        yield prom
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
