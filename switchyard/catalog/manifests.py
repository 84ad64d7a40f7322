"""Parsing manifests (already-loaded YAML documents) into catalog objects, with precise errors.

Input here is untrusted: any document may be any YAML value. Every refusal is one line that
names the document (file and position when known), the object and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .errors import SwitchyardError
from .modelgroup import ModelGroup
from .provider import Provider
from .smokerun import SmokeRun

KINDS: dict[str, type[Provider] | type[ModelGroup] | type[SmokeRun]] = {
    "Provider": Provider,
    "ModelGroup": ModelGroup,
    "SmokeRun": SmokeRun,
}
API_VERSION = "switchyard.dev/v1alpha1"
# `kind: List` inside `kind: List` is legal but never deep in practice.
MAX_LIST_NESTING = 8


class CatalogError(SwitchyardError, ValueError):
    """Bad input: every message names the object and the field path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Catalog:
    providers: list[Provider] = field(default_factory=list)
    groups: list[ModelGroup] = field(default_factory=list)
    smoke_runs: list[SmokeRun] = field(default_factory=list)


@dataclass(frozen=True)
class Sourced:
    """A loaded document and where it came from (e.g. `file.yaml#2`), for error messages."""

    origin: str
    doc: Any


def one_line(text: str, limit: int = 300) -> str:
    """Messages may quote input; keep each on one bounded line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def object_ref(kind: str, doc: Mapping[str, Any]) -> str:
    """`Kind/namespace/name`, tolerating a metadata that is not a mapping."""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    ns, name = meta.get("namespace"), meta.get("name")
    ns_text = one_line(ns, 80) if isinstance(ns, str) and ns else "-"
    name_text = one_line(name, 80) if isinstance(name, str) and name else "?"
    return f"{kind}/{ns_text}/{name_text}"


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "enum[", "literal[")) or "[" in part:
            continue  # pydantic's internal validator names, not field names
        else:
            out += ("." if out else "") + one_line(part, 80)
    return out


def describe(kind: str, doc: Mapping[str, Any], err: ValidationError) -> list[str]:
    ref = object_ref(kind, doc)
    problems = []
    for e in err.errors(include_url=False, include_input=False):
        path = _path(e["loc"])
        msg = one_line(e["msg"].removeprefix("Value error, "))
        problems.append(f"{ref}: {path or '(object)'}: {msg}")
    return problems


def _documents(docs: Iterable[Any]) -> Iterator[Sourced]:
    for i, doc in enumerate(docs):
        yield doc if isinstance(doc, Sourced) else Sourced(f"document {i + 1}", doc)


def flatten(docs: Iterable[Any], depth: int = 0) -> Iterator[Sourced]:
    """Expand `kind: List` (as `kubectl get -o yaml` prints) and skip empty documents.

    Documents without `kind` are not Kubernetes objects and are skipped (a Helm values file in
    the same folder); a `kind` that is not a string, or a List whose `items` is not a list, is
    an error.
    """
    for sourced in _documents(docs):
        origin, doc = sourced.origin, sourced.doc
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            raise CatalogError([f"{origin}: a document is a {_type_name(doc)}, not a mapping"])
        if "kind" not in doc:
            continue
        kind = doc["kind"]
        if not isinstance(kind, str):
            raise CatalogError([f"{origin}: kind: expected a string, got {_type_name(kind)}"])
        if kind.endswith("List"):
            items = doc.get("items")
            if items is None:
                continue
            if not isinstance(items, list):
                raise CatalogError(
                    [
                        f"{origin}: {one_line(kind, 80)}: items: expected a list, got {_type_name(items)}"
                    ]
                )
            if depth >= MAX_LIST_NESTING:
                raise CatalogError([f"{origin}: lists nested more than {MAX_LIST_NESTING} deep"])
            inner = (Sourced(f"{origin} items[{j}]", item) for j, item in enumerate(items))
            yield from flatten(inner, depth + 1)
        else:
            yield sourced


def parse(docs: Iterable[Any]) -> Catalog:
    """Validate every Switchyard object; other kinds (Secrets, Deployments) are ignored.

    `docs` are plain documents or `Sourced` ones (then errors name their origin too).
    """
    catalog = Catalog()
    problems: list[str] = []
    for sourced in flatten(docs):
        doc = sourced.doc
        kind = doc["kind"]
        if kind not in KINDS:
            continue
        ref = object_ref(kind, doc)
        where = "" if sourced.origin.startswith("document ") else f"{sourced.origin}: "
        if doc.get("apiVersion") != API_VERSION:
            got = one_line(repr(doc.get("apiVersion")), 80)
            problems.append(f"{where}{ref}: apiVersion: expected {API_VERSION}, got {got}")
            continue
        try:
            obj = KINDS[kind].model_validate(doc)
        except ValidationError as err:
            problems.extend(where + p for p in describe(kind, doc, err))
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
