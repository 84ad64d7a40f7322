"""Manifests of the node tier and the real-node demo: the fake upstream as a Deployment + Service
from the project image, key Secrets, Providers and ModelGroups pointing at it by DNS name."""

from __future__ import annotations

from typing import Any

import yaml

UPSTREAM = "fake-upstream"
UPSTREAM_PORT = 8090
KEY = "sk-e2e-planted-key-0f3c"  # must never show up in logs, status or events


def dump(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(docs), sort_keys=False)


def upstream(ns: str, image: str) -> str:
    """The only stand-in of the tier: `switchyard mock-upstream`, as a real Deployment."""
    labels = {"app": UPSTREAM}
    container = {
        "name": "upstream",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["mock-upstream", "--host", "0.0.0.0", "--port", str(UPSTREAM_PORT)],
        "ports": [{"name": "http", "containerPort": UPSTREAM_PORT}],
        "readinessProbe": {
            "httpGet": {"path": "/_mock/health", "port": "http"},
            "periodSeconds": 2,
        },
        "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return dump(
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": UPSTREAM, "namespace": ns, "labels": labels},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"automountServiceAccountToken": False,
                                        "securityContext": {"runAsNonRoot": True},
                                        "containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": UPSTREAM, "namespace": ns},
         "spec": {"selector": labels,
                  "ports": [{"name": "http", "port": UPSTREAM_PORT, "targetPort": "http"}]}},
    )  # fmt: skip


def upstream_url(ns: str, dialect: str) -> str:
    """By DNS name: resolved by the cluster's DNS inside the Job and router pods."""
    base = f"http://{UPSTREAM}.{ns}.svc.cluster.local:{UPSTREAM_PORT}"
    return base if dialect == "anthropic" else f"{base}/v1"


def secret(ns: str, name: str, key: str = KEY) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "stringData": {"apiKey": key}}  # fmt: skip


def provider(ns: str, name: str, dialect: str, secret_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "switchyard.dev/v1alpha1",
        "kind": "Provider",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "baseUrl": upstream_url(ns, dialect),
            "dialect": dialect,
            "auth": {
                "scheme": "x-api-key" if dialect == "anthropic" else "bearer",
                "secretRef": {"name": secret_name, "key": "apiKey"},
            },
            "models": [{"name": "m", "model": "fake-model"}],
        },
    }


def group(
    ns: str,
    name: str,
    targets: list[tuple[str, int]],
    *,
    strategy: str = "static",
    promotion: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "strategy": strategy,
        "targets": [{"provider": p, "model": "m", "weight": w} for p, w in targets],
        **spec,
    }
    if promotion:
        body["promotion"] = promotion
    return {
        "apiVersion": "switchyard.dev/v1alpha1",
        "kind": "ModelGroup",
        "metadata": {"name": name, "namespace": ns},
        "spec": body,
    }
