"""Untrusted YAML text -> Python documents, within limits, with one-line errors.

libyaml parses fast but composes nested nodes recursively in C: a few tens of thousands of
`[` crash the process, a few thousand give RecursionError in the pure-Python loader, and alias
chains ("billion laughs") expand exponentially once validated. So one event pass checks
encoding, depth and expanded size first; only then are the documents built (by libyaml when
present, which is also ~10x faster than the Python loader on large files).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .manifests import CatalogError, Sourced, one_line

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODE = (yaml.ScalarEvent, *_OPEN)


@dataclass(frozen=True)
class YamlLimits:
    """Defaults fit any real manifest: Kubernetes objects stay under 1.5 MiB and a few
    dozen levels; documented in docs/limits.md."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    # Nodes after aliases are expanded (an alias counts as the whole node it names).
    max_nodes: int = 4_000_000


def decode(data: bytes, origin: str) -> str:
    """UTF-8 (an optional BOM allowed); binary files and other encodings are refused."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CatalogError([f"{origin}: binary file (NUL byte at offset {nul}), not YAML text"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            [
                f"{origin}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ]
        ) from None


def _yaml_problem(origin: str, exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return f"{origin}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {one_line(what)}"
    if isinstance(exc, yaml.reader.ReaderError):
        return f"{origin}: not YAML text: character 0x{exc.character:x} at offset {exc.position}"
    return f"{origin}: not valid YAML: {one_line(str(exc))}"


def _check_shape(text: str, origin: str, limits: YamlLimits) -> None:
    depth, nodes = 0, 0
    sizes: dict[str, int] = {}  # anchor -> expanded node count
    open_anchors: list[tuple[str | None, int]] = []  # per open collection: anchor, nodes before
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, _NODE):
            nodes += 1
            if isinstance(event, _OPEN):
                depth += 1
                if depth > limits.max_depth:
                    mark = event.start_mark
                    where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
                    raise CatalogError([f"{where}: nesting deeper than {limits.max_depth} levels"])
                open_anchors.append((event.anchor, nodes - 1))
            elif event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, _CLOSE):
            depth -= 1
            anchor, before = open_anchors.pop()
            if anchor is not None:
                sizes[anchor] = nodes - before
        elif isinstance(event, yaml.AliasEvent):
            nodes += sizes.get(event.anchor or "", 1)
        if nodes > limits.max_nodes:
            raise CatalogError(
                [f"{origin}: more than {limits.max_nodes} YAML nodes once aliases are expanded"]
            )


def load_documents(data: bytes, origin: str, limits: YamlLimits | None = None) -> list[Sourced]:
    """Every document of one file, each tagged `origin#N` for error messages."""
    limits = limits or YamlLimits()
    if len(data) > limits.max_bytes:
        raise CatalogError(
            [f"{origin}: larger than the {limits.max_bytes}-byte limit (render --max-file-bytes)"]
        )
    text = decode(data, origin)
    try:
        _check_shape(text, origin, limits)
        try:
            docs = list(yaml.load_all(text, Loader=_LOADER))
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            # the safe constructor's own failures on explicit tags or impossible values,
            # e.g. `2024-13-45` (a timestamp) or `!!timestamp x`
            raise CatalogError([f"{origin}: not valid YAML: {one_line(str(exc))}"]) from None
    except yaml.YAMLError as exc:
        problem = _yaml_problem(origin, exc)
        if "maximum nesting depth" in problem:  # newer libyaml refuses deep flows itself
            where = problem.split(": not valid YAML", 1)[0]
            problem = f"{where}: nesting deeper than {limits.max_depth} levels"
        raise CatalogError([problem]) from None
    return [Sourced(f"{origin}#{i + 1}", doc) for i, doc in enumerate(docs)]
