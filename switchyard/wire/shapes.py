"""A small declarative type checker for JSON request bodies, cheap enough for the hot path.

A ``Shape`` says which JSON kinds a value may have and, when it is an object or an array, the
shapes of the fields and items the router reads. Only those are walked: unknown fields, and
values a shape leaves open (``ANY_OBJECT`` such as a JSON schema), are never visited. The walk
builds no strings on success; a failure names the JSON path (``messages[2].content[0]``) and
the expected and found kinds.

Object fields accept ``null`` (an absent value, as the OpenAI reference has most optional fields
nullable and the router treats ``null`` as absent) unless declared with ``required``; array
items never do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntFlag
from typing import Any


class Kind(IntFlag):
    STRING = 1
    INTEGER = 2
    FLOAT = 4  # a number with a fraction or exponent (orjson reads it as float)
    BOOLEAN = 8
    NULL = 16
    OBJECT = 32
    ARRAY = 64


NUMBER = Kind.INTEGER | Kind.FLOAT
KIND_OF: dict[type, Kind] = {
    str: Kind.STRING,
    int: Kind.INTEGER,
    float: Kind.FLOAT,
    bool: Kind.BOOLEAN,
    type(None): Kind.NULL,
    dict: Kind.OBJECT,
    list: Kind.ARRAY,
}
NAMES: dict[Kind, str] = {
    Kind.STRING: "string",
    Kind.INTEGER: "integer",
    Kind.FLOAT: "number",
    Kind.BOOLEAN: "boolean",
    Kind.NULL: "null",
    Kind.OBJECT: "object",
    Kind.ARRAY: "array",
}


@dataclass(slots=True, eq=False)
class Shape:
    kinds: Kind
    fields: dict[str, Shape] = field(default_factory=dict)  # walked when the value is an object
    items: Shape | None = None  # walked when the value is an array

    def expected(self) -> str:
        if self.kinds & NUMBER == NUMBER:
            kinds = [NAMES[k] for k in Kind if k in self.kinds and k not in NUMBER]
            kinds.insert(0, "number")
        else:
            kinds = [NAMES[k] for k in Kind if k in self.kinds]
        kinds = [k for k in kinds if k != "null"]
        return " or ".join(kinds) or "null"


def of(kinds: Kind) -> Shape:
    return Shape(kinds)


def obj(**fields: Shape) -> Shape:
    """An object whose listed fields have these shapes; null allowed unless ``required``."""
    return Shape(Kind.OBJECT, {k: optional(v) for k, v in fields.items()})


def arr(items: Shape) -> Shape:
    return Shape(Kind.ARRAY, items=items)


def either(*shapes: Shape) -> Shape:
    """A union; at most one of the shapes may describe objects and one arrays."""
    out = Shape(Kind(0))
    for s in shapes:
        out.kinds |= s.kinds
        out.fields = out.fields or s.fields
        out.items = out.items or s.items
    return out


def required(shape: Shape) -> Shape:
    """A field that may not be null (marked here, kept by ``obj``)."""
    return Shape(shape.kinds | _REQUIRED, shape.fields, shape.items)


_REQUIRED = Kind(128)  # a marker bit, never a JSON kind


def optional(shape: Shape) -> Shape:
    """``shape`` as an object field: null allowed unless marked ``required``."""
    if shape.kinds & _REQUIRED:
        return Shape(shape.kinds & ~_REQUIRED, shape.fields, shape.items)
    return Shape(shape.kinds | Kind.NULL, shape.fields, shape.items)


STRING, INTEGER, BOOLEAN = of(Kind.STRING), of(Kind.INTEGER), of(Kind.BOOLEAN)
ANY_NUMBER, ANY_OBJECT, ANY_ARRAY = of(NUMBER), of(Kind.OBJECT), of(Kind.ARRAY)


def problem(shape: Shape, value: Any, top: str = "") -> str | None:
    """None when ``value`` fits ``shape``; else ``path: expected K, got K`` for the first misfit
    (``top`` names the value itself, empty for a whole body)."""
    found = _walk(shape, value)
    if found is None:
        return None
    trail, message = found
    path = top
    for step in reversed(trail):
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else step)
    return f"{path or '<body>'}: {message}"


def _walk(shape: Shape, value: Any) -> tuple[list[str | int], str] | None:
    kind = KIND_OF.get(type(value), Kind(0))
    if not kind & shape.kinds:
        return [], f"expected {shape.expected()}, got {NAMES.get(kind, type(value).__name__)}"
    if kind is Kind.OBJECT and shape.fields:
        fields = shape.fields
        for name, item in value.items():
            inner = fields.get(name)
            if inner is not None:
                found = _walk(inner, item)
                if found is not None:
                    found[0].append(name)
                    return found
    elif kind is Kind.ARRAY and shape.items is not None:
        items = shape.items
        for i, item in enumerate(value):
            found = _walk(items, item)
            if found is not None:
                found[0].append(i)
                return found
    return None
