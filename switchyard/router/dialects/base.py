"""The native dialect adapter contract: what the router needs to know about one caller dialect."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Capability, Dialect, RequestNeeds
from switchyard.wire import (
    FORWARDED_HEADERS,
    ROUTER_PATH,
    UPSTREAM_PATH,
    StreamReader,
    Usage,
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
