"""The bridge contract: pure translators between API skins, shared by every direction.

A bridge never does I/O. The router hands it the inbound body and a context, sends what comes
back upstream, and runs the upstream reply (JSON or SSE events) back through it.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchyard.catalog import BridgeDirection, ErrorClass, SwitchyardError
from switchyard.wire import RequestRefused, SSEEvent, Usage

JSON = dict[str, Any]
IdFactory = Callable[[str], str]
"""prefix -> a fresh id with that prefix ("resp_", "msg_", "fc_", "call_", "chatcmpl-")."""


def random_ids(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def counting_ids() -> IdFactory:
    """Deterministic ids for golden tests: prefix + a running number."""
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):04d}"


@dataclass(frozen=True)
class ToolOrigin:
    """What a tool the bridge renamed or reshaped was on the caller's side."""

    name: str  # the caller's own tool name
    namespace: str | None = None  # Responses namespace tools: the namespace's name
    custom: bool = False  # Responses custom (free-text input) tool


@dataclass
class BridgeContext:
    upstream_model: str  # served model id to put in the upstream body
    inbound_model: str  # the group name the caller asked for (echoed back in responses)
    reasoning_control: str | None  # the target's proven control (None: reasoning is refused)
    previous_response_id: str | None = None  # chatToResponses stateful sessions
    want_usage: bool = True  # chat callers: emit the usage chunk at the end of a stream
    ids: IdFactory = field(default=random_ids)
    clock: Callable[[], int] = field(default=lambda: int(time.time()))
    # set by Bridge.request: fields it dropped (counted by name), and upstream tool name ->
    # the caller's tool, so calls go back under the caller's names and shapes
    dropped: list[str] = field(default_factory=list)
    tools: dict[str, ToolOrigin] = field(default_factory=dict)


class BridgeRefused(RequestRefused):
    """A request shape the bridge does not translate; the message is safe to show the caller."""


class BridgeUpstreamFailed(SwitchyardError):  # noqa: N818 - pairs with BridgeRefused
    """A 200 upstream reply that reports a failure (e.g. a Responses object with status failed)."""

    def __init__(self, error_class: ErrorClass, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


class StreamTranslator(Protocol):
    @property
    def usage(self) -> Usage | None: ...

    response_id: str | None

    def feed(self, event: SSEEvent) -> bytes: ...

    def finish(self) -> bytes: ...

    def fail(self, error_class: ErrorClass, message: str) -> bytes: ...


class Bridge(Protocol):
    direction: BridgeDirection
    upstream_path: str

    def request(self, body: JSON, ctx: BridgeContext) -> JSON: ...

    def response(self, body: JSON, ctx: BridgeContext) -> JSON: ...

    def stream(self, ctx: BridgeContext) -> StreamTranslator: ...
