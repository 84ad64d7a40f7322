"""The generated CRDs: fresh, structural, documented, and carrying the cross-field rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from switchyard.catalog import crd_documents
from switchyard.commands.crds import render_files

ROOT = Path(__file__).resolve().parents[2]


def walk(schema: dict[str, Any], path: str = ""):
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from walk(sub, f"{path}.{name}")
    if "items" in schema:
        yield from walk(schema["items"], f"{path}[]")


def test_committed_crds_match_the_models() -> None:
    for name, text in render_files().items():
        assert (ROOT / "crds" / name).read_text() == text, (
            f"crds/{name} is stale: run `switchyard crds`"
        )


@pytest.mark.parametrize("name", sorted(crd_documents()))
def test_schema_is_structural_and_every_field_is_described(name: str) -> None:
    crd = crd_documents()[name]
    version = crd["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    for path, node in walk(schema):
        for banned in (
            "$ref",
            "anyOf",
            "allOf",
            "oneOf",
            "title",
            "default",
            "additionalProperties",
        ):
            assert banned not in node, f"{name}{path}: {banned}"
        assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), (
            f"{name}{path}: no type"
        )
    for path, node in walk(schema["properties"]["spec"]):
        if not path.endswith("[]"):
            assert node.get("description"), f"{name} spec{path}: no description"
    for path, node in walk(schema["properties"]["status"]):
        if not path.endswith("[]"):
            assert node.get("description"), f"{name} status{path}: no description"
    assert version["subresources"] == {"status": {}}
    assert crd["spec"]["names"]["categories"] == ["switchyard"]
    assert crd["spec"]["names"]["shortNames"]
    assert version["additionalPrinterColumns"][0]["name"] in ("Ready", "Provider")


def rules(crd: dict[str, Any]) -> list[str]:
    text = yaml.safe_dump(crd)
    found = []
    for _, node in walk(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]):
        found += [r["rule"] for r in node.get("x-kubernetes-validations", [])]
    assert text
    return found


def test_cross_field_rules_are_declared() -> None:
    docs = crd_documents()
    group_rules = rules(docs["switchyard.dev_modelgroups.yaml"])
    assert any("exists_one" in r for r in group_rules)  # unique targets
    assert "self.isSorted()" in group_rules
    assert "self[size(self) - 1] == 100" in group_rules
    provider_rules = rules(docs["switchyard.dev_providers.yaml"])
    assert (
        "(has(self.scheme) && self.scheme in ['none', 'aws-sigv4', 'google-oauth']) "
        "|| has(self.secretRef)"
    ) in provider_rules
    assert any("platform bedrock" in r or "'bedrock'" in r for r in provider_rules)
    smoke_rules = rules(docs["switchyard.dev_smokeruns.yaml"])
    assert any("modelGroup" in r for r in smoke_rules)


def test_price_fields_are_decimal_strings() -> None:
    schema = crd_documents()["switchyard.dev_providers.yaml"]["spec"]["versions"][0]["schema"]
    pricing = schema["openAPIV3Schema"]["properties"]["spec"]["properties"]["models"]["items"][
        "properties"
    ]["pricing"]["properties"]
    assert pricing["inputPerMillionUsd"]["type"] == "string"
    assert "pattern" in pricing["inputPerMillionUsd"]
