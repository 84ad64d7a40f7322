"""The router's Kubernetes objects for one namespace: ConfigMaps, Deployment, Service. Pure.

The live ConfigMap holds the rendered RouterConfig the router hot-reloads; a second ConfigMap
keeps the last revision that became ready (and the Deployment template that served it), which is
what a failed rollout is restored from.

The pod template does not carry the config revision: a config-only change updates the ConfigMap
alone and the running pods hot-reload it. The template carries a hash of what the pods mount and
run (Secrets, image, resources...), so it changes, and the pods restart, only when that
does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from switchyard.catalog import (
    ModelGroup,
    PackedConfigError,
    Provider,
    RouterConfig,
    pack,
    unpack,
)

from .providers import MANAGED_BY, MANAGED_BY_LABEL

NAME = "switchyard-router"
LAST_GOOD = "switchyard-router-last-good"
CONFIG_KEY = "config.json"
TEMPLATE_KEY = "deployment-template.json"
REVISION_ANNOTATION = "switchyard.dev/revision"
TEMPLATE_HASH_ANNOTATION = "switchyard.dev/template-hash"
APPLIED_AT_ANNOTATION = "switchyard.dev/applied-at"
FAILED_ANNOTATION = "switchyard.dev/failed-revision"
FAILED_GROUPS_ANNOTATION = "switchyard.dev/failed-groups"
FAILED_REASON_ANNOTATION = "switchyard.dev/failed-reason"
COMPONENT_LABELS = {"app.kubernetes.io/name": NAME, MANAGED_BY_LABEL: MANAGED_BY}
CONFIG_DIR = "/etc/switchyard/config"
SECRETS_DIR = "/etc/switchyard/secrets"
PORT = 8080
# Kubernetes refuses a ConfigMap whose data and binaryData are over 1 MiB together; the live
# map holds the config alone, the last-good map the config and the Deployment template
CONFIGMAP_LIMIT = 1024 * 1024
CONFIG_LIMIT = CONFIGMAP_LIMIT - 64 * 1024

Payload = dict[str, dict[str, str]]  # {"data": {...}} or {"binaryData": {...}}


@dataclass(frozen=True)
class RouterSettings:
    image: str
    image_pull_policy: str = "IfNotPresent"
    replicas: int = 2
    cpu_request: str = "100m"
    cpu_limit: str = "1"
    memory_request: str = "128Mi"
    memory_limit: str = "512Mi"
    run_as_user: int = 65532
    workers: int = 1  # processes per pod; the resources above are per worker


def per_pod(quantity: str, workers: int) -> str:
    """A per-worker resource quantity times the workers ("100m" x 2 = "200m")."""
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(\D*)", quantity).groups()  # type: ignore[union-attr]
    total = float(number) * workers
    return f"{int(total) if total.is_integer() else total}{unit}"


def needed_secrets(
    providers: Iterable[Provider],
    groups: Iterable[ModelGroup],
    default_caller_secret: str | None = None,
) -> list[str]:
    """Secrets the router reads: provider keys and caller tokens, nothing else."""
    names = {p.spec.auth.secret_ref.name for p in providers if p.spec.auth.secret_ref}
    names |= {
        g.spec.access.caller_secret_ref.name for g in groups if g.spec.access.caller_secret_ref
    }
    if default_caller_secret:
        names.add(default_caller_secret)
    return sorted(names)


def config_payload(config_json: str, compress_above: int) -> Payload:
    """The ConfigMap fields that hold a rendered config: readable JSON in `data` up to
    `compress_above` bytes, gzip in `binaryData` above (the kubelet mounts either as the same
    file, and the router reads both)."""
    if len(config_json.encode("utf-8")) <= compress_above:
        return {"data": {CONFIG_KEY: config_json}}
    return {"binaryData": {CONFIG_KEY: base64.b64encode(pack(config_json)).decode("ascii")}}


def stored_bytes(payload: Payload) -> int:
    """A payload's size as the API server counts it against the limit (binaryData decoded)."""
    total = sum(len(k) + len(v.encode("utf-8")) for k, v in payload.get("data", {}).items())
    for k, v in payload.get("binaryData", {}).items():
        total += len(k) + len(v) * 3 // 4 - (len(v) - len(v.rstrip("=")))  # padding is no byte
    return total


def payload_of(config_map: Mapping[str, Any] | None) -> Payload:
    """The config fields of a stored ConfigMap, as they are ({} when it holds no config)."""
    for field in ("data", "binaryData"):
        value = ((config_map or {}).get(field) or {}).get(CONFIG_KEY)
        if value:
            return {field: {CONFIG_KEY: value}}
    return {}


def config_json_of(config_map: Mapping[str, Any] | None) -> str | None:
    """The config JSON a stored ConfigMap holds, unpacked; None when it holds none or it
    cannot be read (a map someone edited by hand)."""
    payload = payload_of(config_map)
    if "data" in payload:
        return payload["data"][CONFIG_KEY]
    if "binaryData" not in payload:
        return None
    try:
        return unpack(base64.b64decode(payload["binaryData"][CONFIG_KEY])).decode("utf-8")
    except (PackedConfigError, binascii.Error, UnicodeDecodeError):
        return None


def config_map(
    config: RouterConfig, namespace: str, applied_at: str, payload: Payload
) -> dict[str, Any]:
    """`payload`: the config as stored (config_payload)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": NAME,
            "namespace": namespace,
            "labels": dict(COMPONENT_LABELS),
            "annotations": {
                REVISION_ANNOTATION: config.revision,
                APPLIED_AT_ANNOTATION: applied_at,
            },
        },
        **payload,
    }


def last_good_map(
    namespace: str, revision: str, payload: Payload, template: dict[str, Any]
) -> dict[str, Any]:
    """`payload`: the live map's config fields, copied as they are (payload_of)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": LAST_GOOD,
            "namespace": namespace,
            "labels": dict(COMPONENT_LABELS),
            "annotations": {REVISION_ANNOTATION: revision},
        },
        **payload,
        "data": {**payload.get("data", {}), TEMPLATE_KEY: _canonical(template)},
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def pod_template(secrets: Sequence[str], s: RouterSettings) -> dict[str, Any]:
    """The router pod: /readyz readiness, config volume, read-only Secret mounts, non-root.

    Its only annotation is a hash of its inputs and of the rendered pod spec: it changes exactly
    when the pods must restart, and never with the config revision (the pods hot-reload that).
    """
    mounts: list[dict[str, Any]] = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    volumes: list[dict[str, Any]] = [
        {
            "name": "config",
            "configMap": {"name": NAME, "items": [{"key": CONFIG_KEY, "path": CONFIG_KEY}]},
        },
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    for i, secret in enumerate(secrets):
        volume = f"secret-{i}"
        volumes.append({"name": volume, "secret": {"secretName": secret, "defaultMode": 0o440}})
        mounts.append({"name": volume, "mountPath": f"{SECRETS_DIR}/{secret}", "readOnly": True})
    probe = {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5}
    container = {
        "name": "router",
        "image": s.image,
        "imagePullPolicy": s.image_pull_policy,
        "command": ["switchyard"],
        "args": [
            "router",
            "--config",
            f"{CONFIG_DIR}/{CONFIG_KEY}",
            "--host",
            "0.0.0.0",
            "--port",
            str(PORT),
            "--secrets-dir",
            SECRETS_DIR,
            *(["--workers", str(s.workers)] if s.workers > 1 else []),
        ],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "readinessProbe": probe,
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
        "resources": {
            "requests": {
                "cpu": per_pod(s.cpu_request, s.workers),
                "memory": per_pod(s.memory_request, s.workers),
            },
            "limits": {
                "cpu": per_pod(s.cpu_limit, s.workers),
                "memory": per_pod(s.memory_limit, s.workers),
            },
        },
        "volumeMounts": mounts,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    spec = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": s.run_as_user,
            "runAsGroup": s.run_as_user,
            "fsGroup": s.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
        # Replicas spread over zones and nodes when the cluster allows it, never blocking a
        # schedule (ScheduleAnyway); the chart's PodDisruptionBudget covers voluntary drains.
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            }
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ],
    }
    # The spec holds every setting the pods run with; the replica count is not in it (scaling
    # must not restart pods).
    inputs = {"secrets": list(secrets), "spec": spec}
    digest = hashlib.sha256(_canonical(inputs).encode()).hexdigest()[:16]
    return {
        "metadata": {
            "labels": dict(COMPONENT_LABELS),
            "annotations": {TEMPLATE_HASH_ANNOTATION: digest},
        },
        "spec": spec,
    }


def template_hash(template: Mapping[str, Any] | None) -> str | None:
    """The hash a pod template carries (None for a template written before there was one)."""
    meta = (template or {}).get("metadata") or {}
    value = (meta.get("annotations") or {}).get(TEMPLATE_HASH_ANNOTATION)
    return str(value) if value else None


def same_template(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Whether two pod templates are the same: by their hashes when both have one (the API
    server adds defaults to a stored template), else by content."""
    ha, hb = template_hash(a), template_hash(b)
    if ha and hb:
        return ha == hb
    return (a or {}) == (b or {})


def deployment(namespace: str, template: dict[str, Any], replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": namespace, "labels": dict(COMPONENT_LABELS)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": template,
        },
    }


def service(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": namespace, "labels": dict(COMPONENT_LABELS)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": NAME},
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def owner_references(groups: Iterable[ModelGroup]) -> list[dict[str, Any]]:
    """Every ModelGroup of the namespace owns the router objects (none as controller), so the
    garbage collector removes them once the last group is gone."""
    return [
        {
            "apiVersion": g.api_version,
            "kind": "ModelGroup",
            "name": g.name,
            "uid": g.metadata.uid,
            "blockOwnerDeletion": False,
            "controller": False,
        }
        for g in sorted(groups, key=lambda g: g.name)
        if g.metadata.uid
    ]


def affected_groups(failed_json: str, good_json: str | None) -> list[str]:
    """Groups whose rendered entry differs between a failed config and the last good one."""
    failed = {g["name"]: g for g in json.loads(failed_json).get("groups", [])}
    good = {g["name"]: g for g in json.loads(good_json).get("groups", [])} if good_json else {}
    return sorted(n for n in failed.keys() | good.keys() if failed.get(n) != good.get(n))
