"""Parsing manifests (already-loaded YAML documents) into catalog objects, with precise errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .modelgroup import ModelGroup
from .provider import Provider
from .smokerun import SmokeRun

KINDS: dict[str, type[Provider] | type[ModelGroup] | type[SmokeRun]] = {
    "Provider": Provider,
    "ModelGroup": ModelGroup,
    "SmokeRun": SmokeRun,
}
API_VERSION = "switchyard.dev/v1alpha1"


class CatalogError(ValueError):
    """Bad input: every message names the object and the field path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Catalog:
    providers: list[Provider] = field(default_factory=list)
    groups: list[ModelGroup] = field(default_factory=list)
    smoke_runs: list[SmokeRun] = field(default_factory=list)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "enum[", "literal[")) or "[" in part:
            continue  # pydantic's internal validator names, not field names
        else:
            out += ("." if out else "") + part
    return out


def describe(kind: str, doc: Mapping[str, Any], err: ValidationError) -> list[str]:
    meta = doc.get("metadata") or {}
    ref = f"{kind}/{meta.get('namespace') or '-'}/{meta.get('name') or '?'}"
    problems = []
    for e in err.errors(include_url=False, include_input=False):
        path = _path(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        problems.append(f"{ref}: {path or '(object)'}: {msg}")
    return problems


def flatten(docs: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    """Expand `kind: List` (as `kubectl get -o yaml` prints) and skip empty documents."""
    for doc in docs:
        if not doc:
            continue
        if not isinstance(doc, Mapping):
            raise CatalogError([f"a document is a {type(doc).__name__}, not a mapping"])
        if doc.get("kind") == "List" or doc.get("kind", "").endswith("List"):
            yield from flatten(doc.get("items") or [])
        else:
            yield doc


def parse(docs: Iterable[Any]) -> Catalog:
    """Validate every Switchyard object; other kinds (Secrets, Deployments) are ignored."""
    catalog = Catalog()
    problems: list[str] = []
    for doc in flatten(docs):
        kind = doc.get("kind")
        if kind not in KINDS:
            continue
        if doc.get("apiVersion") != API_VERSION:
            problems.append(
                f"{kind}/{(doc.get('metadata') or {}).get('name', '?')}: apiVersion: "
                f"expected {API_VERSION}, got {doc.get('apiVersion')!r}"
            )
            continue
        try:
            obj = KINDS[kind].model_validate(doc)
        except ValidationError as err:
            problems.extend(describe(kind, doc, err))
            continue
        if isinstance(obj, Provider):
            catalog.providers.append(obj)
        elif isinstance(obj, ModelGroup):
            catalog.groups.append(obj)
        else:
            catalog.smoke_runs.append(obj)
    if problems:
        raise CatalogError(problems)
    return catalog
