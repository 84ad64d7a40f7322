"""API bodies (kopf Bodies or list items) as catalog models; what cannot parse is skipped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from switchyard.catalog import Resource

R = TypeVar("R", bound=Resource)


def plain(body: Mapping[str, Any]) -> dict[str, Any]:
    """A kopf Body (or API dict) as a plain dict of the fields the catalog models read."""

    def part(name: str) -> Any:
        value = body.get(name) or {}
        # anything else goes through as is: the model then names the field, nothing raises here
        return dict(value) if isinstance(value, Mapping) else value

    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": part("metadata"),
        "spec": part("spec"),
        "status": part("status"),
    }


def parse(cls: type[R], body: Mapping[str, Any]) -> R:
    return cls.model_validate(plain(body))


def deleting(body: Mapping[str, Any]) -> bool:
    return bool((body.get("metadata") or {}).get("deletionTimestamp"))


def parse_all(cls: type[R], items: list[dict[str, Any]]) -> list[R]:
    """Valid, live objects only: an invalid neighbour never blocks this one's reconcile."""
    out = []
    for item in items:
        if deleting(item):
            continue
        try:
            out.append(parse(cls, item))
        except ValidationError:
            continue
    return out
