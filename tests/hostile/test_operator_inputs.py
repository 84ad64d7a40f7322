"""Objects the API server admits but the catalog refuses: the operator marks them Ready=False
with the reason, keeps reconciling their neighbours, and never crashes (real kube-apiserver,
the operator in-process)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.operator.harness import OperatorThread, RouterPods, wait_for
from tests.operator.test_operator_cluster import cond, get, settings

pytestmark = pytest.mark.cluster


def provider(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "switchyard.dev/v1alpha1",
        "kind": "Provider",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "baseUrl": "http://127.0.0.1:9/v1",
            "dialect": "openai-chat",
            "auth": {"scheme": "none"},
            "models": [{"name": "m", "model": "up/m"}],
        },
    }


def test_a_provider_named_outside_the_catalog_pattern_is_marked_not_ready(
    kubectl: Any, namespace: str, kubeconfig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    # a DNS subdomain (the API server's rule) but not a DNS label (targets refer to providers)
    docs = [provider("dotted.name", namespace), provider("fine", namespace)]
    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    pods = RouterPods().start()
    operator = OperatorThread(settings(namespace, pods, smoke_executor="inline")).start()
    try:

        def reason(name: str) -> dict[str, Any] | None:
            return cond(get(kubectl, namespace, "provider", name), "Ready")

        bad = wait_for(lambda: reason("dotted.name"), "Ready on the misnamed Provider")
        assert bad["status"] == "False" and bad["reason"] == "InvalidSpec", bad
        assert "DNS-1123 label" in bad["message"] and "\n" not in bad["message"]
        wait_for(lambda: reason("fine"), "the neighbour to be reconciled")
    finally:
        operator.stop()  # raises if the operator crashed
        pods.stop()
    assert json.dumps(bad)  # status is plain JSON, nothing of Python leaked into it
