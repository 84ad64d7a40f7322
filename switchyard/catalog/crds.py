"""CustomResourceDefinitions generated from the pydantic models (never hand-edited).

Pydantic's JSON Schema is turned into a structural OpenAPI v3 schema: references inlined,
optional-None unions collapsed, titles and defaults dropped (defaults are stated in the
description, so Git-owned specs stay as written), lists of named objects keyed as maps, and
the CEL rules declared on the models carried over.
"""

from __future__ import annotations

import copy
from typing import Any

from .base import Resource
from .modelgroup import ModelGroup
from .provider import Provider
from .smokerun import SmokeRun

_KEEP = {
    "type",
    "description",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "format",
    "items",
    "properties",
    "required",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-preserve-unknown-fields",
}

READY = '.status.conditions[?(@.type=="Ready")].status'

PRINTER_COLUMNS: dict[str, list[dict[str, Any]]] = {
    "Provider": [
        {"name": "Ready", "type": "string", "jsonPath": READY},
        {"name": "Dialect", "type": "string", "jsonPath": ".spec.dialect"},
        {"name": "Base URL", "type": "string", "jsonPath": ".spec.baseUrl", "priority": 1},
        {
            "name": "Blocked",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="AccessBlocked")].status',
        },
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ],
    "ModelGroup": [
        {"name": "Ready", "type": "string", "jsonPath": READY},
        {"name": "Strategy", "type": "string", "jsonPath": ".spec.strategy"},
        {
            "name": "Progressing",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Progressing")].status',
        },
        {
            "name": "Degraded",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Degraded")].status',
        },
        {"name": "Revision", "type": "string", "jsonPath": ".status.routerRevision"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ],
    "SmokeRun": [
        {"name": "Provider", "type": "string", "jsonPath": ".spec.target.provider"},
        {"name": "Model", "type": "string", "jsonPath": ".spec.target.model"},
        {"name": "Group", "type": "string", "jsonPath": ".spec.target.modelGroup", "priority": 1},
        {"name": "Layer", "type": "string", "jsonPath": ".spec.layer"},
        {
            "name": "Complete",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Complete")].status',
        },
        {
            "name": "Succeeded",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Succeeded")].status',
        },
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ],
}


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node:
        target = copy.deepcopy(defs[node.pop("$ref").split("/")[-1]])
        target.update({k: v for k, v in node.items() if k in ("description", "default")})
        node = target
    if "anyOf" in node:
        options = [o for o in node.pop("anyOf") if o.get("type") != "null"]
        if len(options) != 1:
            raise ValueError(f"cannot express union in a structural schema: {options}")
        merged = dict(options[0])
        merged.update(node)
        node = merged
        if "$ref" in node:
            return _resolve(node, defs)
    if "allOf" in node and len(node["allOf"]) == 1:
        inner = node.pop("allOf")[0]
        inner = dict(inner)
        inner.update(node)
        return _resolve(inner, defs)
    default = node.get("default")
    if "const" in node:
        node["enum"] = [node.pop("const")]
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties",):
            out[key] = {k: _resolve(v, defs) for k, v in value.items()}
        elif key == "items":
            out[key] = _resolve(value, defs)
        elif key == "additionalProperties" and value:
            out["x-kubernetes-preserve-unknown-fields"] = True
        elif key in _KEEP:
            out[key] = value
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    if "properties" in out or out.get("x-kubernetes-preserve-unknown-fields"):
        out["type"] = "object"
    if default not in (None, [], {}) and isinstance(default, (str, int, bool, list)):
        shown = default if not isinstance(default, bool) else str(default).lower()
        out["description"] = f"{out.get('description', '').rstrip('.')}. Default: {shown}.".lstrip(
            ". "
        )
    _key_named_lists(out)
    return out


def _key_named_lists(schema: dict[str, Any]) -> None:
    """Lists of named sub-objects become maps keyed by name (server-side apply merges them)."""
    if schema.get("type") != "array" or "x-kubernetes-list-type" in schema:
        return
    items = schema.get("items", {})
    required = set(items.get("required", []))
    if "name" in required:
        schema["x-kubernetes-list-type"] = "map"
        schema["x-kubernetes-list-map-keys"] = ["name"]
    elif {"type", "status"} <= required:
        schema["x-kubernetes-list-type"] = "map"
        schema["x-kubernetes-list-map-keys"] = ["type"]


def _schema_of(model: type[Resource], part: str) -> dict[str, Any]:
    annotation = model.model_fields[part].annotation
    assert annotation is not None and hasattr(annotation, "model_json_schema")
    raw = annotation.model_json_schema(by_alias=True, mode="validation")
    defs = raw.pop("$defs", {})
    schema: dict[str, Any] = _resolve(raw, defs)
    return schema


def crd_for(model: type[Resource]) -> dict[str, Any]:
    kind = model.KIND
    spec = _schema_of(model, "spec")
    spec["description"] = (
        f"Desired state of the {kind} (owned by Git; never written by the operator)."
    )
    status = _schema_of(model, "status")
    status["description"] = f"Observed state of the {kind}, written by the operator."
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{model.PLURAL}.{model.GROUP}"},
        "spec": {
            "group": model.GROUP,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": model.PLURAL,
                "singular": kind.lower(),
                "shortNames": list(model.SHORT_NAMES),
                "categories": ["switchyard"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": model.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": PRINTER_COLUMNS[kind],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": model.DESCRIPTION,
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {
                                    "type": "string",
                                    "description": "API version: switchyard.dev/v1alpha1.",
                                },
                                "kind": {"type": "string", "description": f"Kind: {kind}."},
                                # The API server refuses anything but the type here.
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


def crd_documents() -> dict[str, dict[str, Any]]:
    """File name -> CRD document, for `switchyard crds`."""
    return {f"{m.GROUP}_{m.PLURAL}.yaml": crd_for(m) for m in (Provider, ModelGroup, SmokeRun)}
