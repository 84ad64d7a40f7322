"""The native dialect adapter contract: what the router needs to know about one caller skin."""

from __future__ import annotations

import re
from typing import Any, Protocol

from switchyard.catalog import Capability, Dialect, RequestNeeds

from ..sse import SSEEvent

JSON = dict[str, Any]
Usage = tuple[int, int]


class StreamWatcher(Protocol):
    """Observes a native stream without changing it: usage, clean end, in-band errors."""

    finished: bool
    failed: bool

    @property
    def usage(self) -> Usage | None: ...

    def observe(self, event: SSEEvent) -> None: ...


class DialectAdapter(Protocol):
    dialect: Dialect
    path: str  # the router's inbound route
    upstream_path: str  # appended to a provider base URL of the same skin

    def needs(self, body: JSON, size: int, large_payload_bytes: int) -> RequestNeeds: ...

    def prepare(self, body: JSON, upstream_model: str, want_usage: bool) -> JSON: ...

    def usage(self, body: JSON) -> Usage | None: ...

    def watcher(self) -> StreamWatcher: ...

    def forward_headers(self) -> tuple[str, ...]: ...


USAGE_IN_DATA = re.compile(r'"usage"\s*:\s*\{')


def int_pair(a: Any, b: Any) -> Usage | None:
    if isinstance(a, int) and isinstance(b, int):
        return a, b
    return None


def base_caps(body: JSON, size: int, large_payload_bytes: int) -> set[Capability]:
    caps = {Capability.TEXT}
    if body.get("stream") is True:
        caps.add(Capability.STREAMING)
    if size > large_payload_bytes:
        caps.add(Capability.LARGE_PAYLOAD)
    return caps


def has_part(messages: Any, kinds: frozenset[str]) -> bool:
    """True when any message's content list holds a part of one of `kinds`."""
    for m in messages if isinstance(messages, list) else []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") in kinds:
                    return True
    return False


def needs_of(
    inbound: Dialect, caps: set[Capability], capped: bool, hosted: set[str]
) -> RequestNeeds:
    return RequestNeeds(
        inbound=inbound,
        capabilities=frozenset(caps),
        capped=capped,
        hosted_tools=frozenset(hosted),
    )
