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
_REQUIRED = 128  # a marker bit, never a JSON kind
# plain ints on the hot path: IntFlag arithmetic costs a class lookup per operation
KIND_OF: dict[type, int] = {
    str: Kind.STRING.value,
    int: Kind.INTEGER.value,
    float: Kind.FLOAT.value,
    bool: Kind.BOOLEAN.value,
    type(None): Kind.NULL.value,
    dict: Kind.OBJECT.value,
    list: Kind.ARRAY.value,
}
_OBJECT, _ARRAY = Kind.OBJECT.value, Kind.ARRAY.value
NAMES: dict[int, str] = {
    Kind.STRING.value: "string",
    Kind.INTEGER.value: "integer",
    Kind.FLOAT.value: "number",
    Kind.BOOLEAN.value: "boolean",
    Kind.NULL.value: "null",
    Kind.OBJECT.value: "object",
    Kind.ARRAY.value: "array",
}


@dataclass(slots=True, eq=False)
class Shape:
    mask: int  # the allowed kinds (Kind bits)
    fields: dict[str, Shape] = field(default_factory=dict)  # walked when the value is an object
    items: Shape | None = None  # walked when the value is an array

    def expected(self) -> str:
        mask = self.mask
        if mask & NUMBER == NUMBER:
            mask &= ~Kind.INTEGER.value  # "number" says both
        return " or ".join(n for k, n in NAMES.items() if mask & k and n != "null") or "null"


def of(kinds: Kind) -> Shape:
    return Shape(kinds.value)


def obj(**fields: Shape) -> Shape:
    """An object whose listed fields have these shapes; null allowed unless ``required``."""
    return Shape(_OBJECT, {k: optional(v) for k, v in fields.items()})


def arr(items: Shape) -> Shape:
    return Shape(_ARRAY, items=items)


def either(*shapes: Shape) -> Shape:
    """A union; at most one of the shapes may describe objects and one arrays."""
    out = Shape(0)
    for s in shapes:
        out.mask |= s.mask
        out.fields = out.fields or s.fields
        out.items = out.items or s.items
    return out


def required(shape: Shape) -> Shape:
    """A field that may not be null (marked here, kept by ``obj``)."""
    return Shape(shape.mask | _REQUIRED, shape.fields, shape.items)


def optional(shape: Shape) -> Shape:
    """``shape`` as an object field: null allowed unless marked ``required``."""
    if shape.mask & _REQUIRED:
        return Shape(shape.mask & ~_REQUIRED, shape.fields, shape.items)
    return Shape(shape.mask | Kind.NULL.value, shape.fields, shape.items)


STRING, INTEGER, BOOLEAN = of(Kind.STRING), of(Kind.INTEGER), of(Kind.BOOLEAN)
ANY_NUMBER, ANY_OBJECT, ANY_ARRAY = of(NUMBER), of(Kind.OBJECT), of(Kind.ARRAY)


def problem(shape: Shape, value: Any, top: str = "") -> str | None:
    """None when ``value`` fits ``shape``; else ``path: expected K, got K`` for the first misfit
    (``top`` names the value itself, empty for a whole body)."""
    found = _misfit(shape, value)
    if found is None:
        return None
    trail, message = found
    path = top
    for step in reversed(trail):
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else step)
    return f"{path or '<body>'}: {message}"


def _wrong(shape: Shape, value: Any) -> tuple[list[str | int], str]:
    found = NAMES.get(KIND_OF.get(type(value), 0), type(value).__name__)
    return [], f"expected {shape.expected()}, got {found}"


def _misfit(shape: Shape, value: Any) -> tuple[list[str | int], str] | None:
    if not KIND_OF.get(type(value), 0) & shape.mask:
        return _wrong(shape, value)
    return _inside(shape, value)


def _inside(shape: Shape, value: Any) -> tuple[list[str | int], str] | None:
    """The misfit inside a value whose own kind fits. Leaves are judged in the loop (no call
    per leaf); only nested shapes recurse."""
    kind_of = KIND_OF
    if type(value) is dict:
        fields = shape.fields
        if not fields:
            return None
        for name, item in value.items():
            inner = fields.get(name)
            if inner is None:
                continue
            kind = kind_of.get(type(item), 0)
            found = None
            if not kind & inner.mask:
                found = _wrong(inner, item)
            elif kind & (_OBJECT | _ARRAY) and (inner.fields or inner.items is not None):
                found = _inside(inner, item)
            if found is not None:
                found[0].append(name)
                return found
    elif type(value) is list:
        inner = shape.items
        if inner is None:
            return None
        mask, nested = inner.mask, bool(inner.fields) or inner.items is not None
        for i, item in enumerate(value):
            kind = kind_of.get(type(item), 0)
            found = None
            if not kind & mask:
                found = _wrong(inner, item)
            elif nested and kind & (_OBJECT | _ARRAY):
                found = _inside(inner, item)
            if found is not None:
                found[0].append(i)
                return found
    return None
