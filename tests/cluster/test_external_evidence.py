"""Evidence gathered outside the cluster (`switchyard probe --output smokerun`) recorded the
documented way: apply the SmokeRun, then its status through the status subresource. The real
API server keeps it, and `switchyard render` of what the cluster holds counts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from e2e.pytest_cluster import Kubectl
from tests.smoke.conftest import probe_cli

PROVIDER = """
apiVersion: switchyard.dev/v1alpha1
kind: Provider
metadata: {{name: fake, namespace: {ns}}}
spec:
  baseUrl: {url}
  dialect: openai-chat
  auth: {{scheme: none}}
  models: [{{name: good, model: good-model}}]
"""


@pytest.mark.cluster
def test_external_evidence_is_recorded_through_the_status_subresource(
    kubectl: Kubectl, namespace: str, upstream: str, tmp_path: Path
) -> None:
    k = kubectl.in_namespace(namespace)
    k("apply", "-f", "-", input=PROVIDER.format(ns=namespace, url=upstream))
    generation = str(k.json("provider", "fake")["metadata"]["generation"])
    run = tmp_path / "run.yaml"
    done = probe_cli("--base-url", upstream, "--model", "good-model", "--tasks", "text,tools",
                     "--output", "smokerun", "--provider", "fake", "--model-ref", "good",
                     "--namespace", namespace, "--name", "fake-good-laptop",
                     "--provider-generation", generation, "--output-file", str(run))  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = yaml.safe_load(run.read_text())
    assert manifest["spec"]["executor"] == "external"  # the operator never runs it again

    k("apply", "-f", str(run))  # the spec; the API server drops status here
    assert "results" not in (k.json("smokerun", "fake-good-laptop").get("status") or {})
    k("apply", "--server-side", "--subresource=status", "-f", str(run))
    status = k.json("smokerun", "fake-good-laptop")["status"]
    assert [r["task"] for r in status["results"]] == ["text", "auto-tools"]
    assert status["providerGeneration"] == int(generation)

    held = k("get", "providers,smokeruns", "-o", "yaml").stdout
    (tmp_path / "held.yaml").write_text(held)
    rendered = subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "render", "-f", str(tmp_path / "held.yaml")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    (provider,) = json.loads(rendered.stdout)["providers"]
    assert set(provider["models"][0]["verified"]) == {"text", "tools"}
