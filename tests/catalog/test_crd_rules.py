"""CEL rules in the CRDs must survive omitted fields: defaults are not in the schema, so a rule
reading an optional field without has() fails with "no such key" on a valid manifest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from switchyard.catalog import ModelGroup, Provider, SmokeRun, crd_for


def rules(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any], str]]:
    if isinstance(node, dict):
        for v in node.get("x-kubernetes-validations", []):
            yield path, node, v["rule"]
        for key, value in node.items():
            yield from rules(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from rules(item, path)


@pytest.mark.parametrize("model", [Provider, ModelGroup, SmokeRun])
def test_optional_fields_are_guarded_with_has(model: type) -> None:
    schema = crd_for(model)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node, rule in rules(schema):
        required = set(node.get("required", []))
        for field in set(re.findall(r"self\.(\w+)", rule)):
            if field in node.get("properties", {}) and field not in required:
                assert f"has(self.{field})" in rule, f"{path}: {rule!r} reads optional {field}"
