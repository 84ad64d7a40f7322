"""The native dialect adapter contract: what the router needs to know about one caller dialect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds
from switchyard.wire import (
    FORWARDED_HEADERS,
    ROUTER_PATH,
    UPSTREAM_PATH,
    StreamReader,
    Usage,
    asks_parallel_tools,
    prepare_body,
    reply_usage,
    stream_reader,
)

JSON = dict[str, Any]


class DialectAdapter:
    """One caller dialect's routing policy: what a request needs (``needs``, per dialect);
    everything that is a wire fact (paths, body preparation, usage, stream reading, forwarded
    headers) comes from ``switchyard.wire``."""

    dialect: Dialect
    extra_paths: tuple[str, ...] = ()  # further inbound routes (Gemini's /v1beta)
    reads_path = False  # whether `inbound` reads the path and query (else it is not called)

    def inbound(self, target: str | None, query: str, body: JSON) -> JSON:
        """The body as the router handles it, given the path's ``target`` and query string
        (only Gemini carries request facts in the path); raises RequestRefused."""
        return body

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds:
        raise NotImplementedError

    @property
    def path(self) -> str:
        """The router's inbound route."""
        return ROUTER_PATH[self.dialect]

    @property
    def upstream_path(self) -> str:
        return UPSTREAM_PATH[self.dialect]

    def prepare(self, body: JSON, upstream_model: str, want_usage: bool) -> JSON:
        return prepare_body(self.dialect, body, upstream_model, want_usage)

    def usage(self, body: JSON) -> Usage | None:
        return reply_usage(self.dialect, body)

    def watcher(self) -> StreamReader:
        return stream_reader(self.dialect)

    def forward_headers(self) -> tuple[str, ...]:
        return FORWARDED_HEADERS[self.dialect]


def base_caps(body: JSON, size: int, large_payload_bytes: int) -> set[Capability]:
    caps = {Capability.TEXT}
    if body.get("stream") is True:
        caps.add(Capability.STREAMING)
    if size > large_payload_bytes:
        caps.add(Capability.LARGE_PAYLOAD)
    return caps


MAX_PART_DEPTH = 8  # content nested deeper than this (tool results in tool results) is not read
NESTED_PARTS = ("content", "output")  # where parts hold further parts (tool results, outputs)


def part_needs(items: Any, kinds: Mapping[str, Capability]) -> set[Capability]:
    """The input modalities the parts of `items` need: every object whose ``type`` is in
    `kinds`, found in message content lists and in the content (or output) of tool results
    nested in them, as far as MAX_PART_DEPTH levels. (Only lists are stacked: a string
    content, the common case, costs one lookup.)"""
    found: set[Capability] = set()
    stack: list[tuple[list[Any], int]] = [(items, 0)] if isinstance(items, list) else []
    while stack:
        value, depth = stack.pop()
        deeper = depth + 1
        for item in value:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if isinstance(kind, str) and kind in kinds:
                found.add(kinds[kind])
            if deeper <= MAX_PART_DEPTH:
                for key in NESTED_PARTS:
                    inner = item.get(key)
                    if isinstance(inner, list):
                        stack.append((inner, deeper))
    return found


def needs_of(
    inbound: Dialect, caps: set[Capability], capped: bool, hosted: set[str], body: JSON
) -> RequestNeeds:
    """The request's needs; a request offering function tools that asks for parallel calls
    explicitly (``wire.asks_parallel_tools``) needs ``parallelToolCalls`` too, which
    eligibility counts only through a bridge (``catalog.BRIDGE_ONLY``)."""
    if Capability.TOOLS in caps and asks_parallel_tools(inbound, body):
        caps = caps | {Capability.PARALLEL_TOOL_CALLS}
    return RequestNeeds(
        inbound=inbound,
        capabilities=frozenset(caps),
        capped=capped,
        hosted_tools=frozenset(hosted),
    )
