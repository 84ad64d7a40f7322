"""The probe's HTTP side: one httpx client per run, timing, safe classification, token ledger.

Keys go into request headers and nowhere else; error bodies are read only to classify them.
The router reports what it did in response headers (`x-switchyard-upstream` provider/model,
`x-switchyard-bridge` direction, `x-switchyard-attempts` count), which router-layer rows carry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from switchyard.catalog import BridgeDirection, ErrorClass, Layer
from switchyard.wire import SSEEvent, SSEParser

from .access import classify_exception, classify_status
from .dialects import Body, DialectAdapter, MalformedStreamError, Reply, StreamFailedError

UPSTREAM_HEADER = "x-switchyard-upstream"
BRIDGE_HEADER = "x-switchyard-bridge"
FALLBACK_HEADER = "x-switchyard-fallback"
ATTEMPTS_HEADER = "x-switchyard-attempts"  # more than one attempt means the router fell back
MAX_ERROR_BODY = 64 * 1024


@dataclass
class Exchange:
    """One request's outcome, already sanitized: a status, a class, a reduced reply."""

    status_code: int | None = None
    error_class: ErrorClass | None = None
    latency_ms: int = 0
    reply: Reply | None = None
    note: str | None = None  # safe, fixed wording
    selected_upstream: str | None = None
    bridge_direction: BridgeDirection | None = None
    fallback: bool | None = None

    @property
    def ok(self) -> bool:
        return self.error_class is None and self.reply is not None


@dataclass
class Ledger:
    requests: int = 0
    tokens: int = 0

    def add(self, reply: Reply | None) -> None:
        self.requests += 1
        if reply is not None:
            self.tokens += (reply.input_tokens or 0) + (reply.output_tokens or 0)


@dataclass
class ProbeClient:
    """Speaks one dialect to one base URL (an upstream or the router's `/v1`)."""

    http: httpx.AsyncClient
    base_url: str
    adapter: DialectAdapter
    layer: Layer
    key: str | None = field(default=None, repr=False)
    ledger: Ledger = field(default_factory=Ledger)

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.adapter.path

    def _headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "user-agent": "switchyard-probe",
            **self.adapter.auth_headers(self.key),
        }

    def _router_fields(self, ex: Exchange, headers: httpx.Headers) -> None:
        if self.layer is not Layer.ROUTER:
            return
        upstream = headers.get(UPSTREAM_HEADER)
        ex.selected_upstream = upstream[:256] if upstream else None
        bridge = headers.get(BRIDGE_HEADER)
        try:
            ex.bridge_direction = BridgeDirection(bridge) if bridge else None
        except ValueError:
            ex.bridge_direction = None
        fallback = headers.get(FALLBACK_HEADER)
        attempts = headers.get(ATTEMPTS_HEADER, "")
        if fallback is not None:
            ex.fallback = fallback.strip().lower() in ("1", "true", "yes")
        elif attempts.strip().isdigit():
            ex.fallback = int(attempts) > 1

    async def send(self, body: Body) -> Exchange:
        """POST one probe request; streaming when the body asks for it."""
        ex = Exchange()
        start = time.monotonic()
        try:
            async with self.http.stream(
                "POST", self.url, content=orjson.dumps(body), headers=self._headers()
            ) as resp:
                ex.status_code = resp.status_code
                self._router_fields(ex, resp.headers)
                if not 200 <= resp.status_code < 300:
                    raw = await _read_capped(resp)
                    ex.error_class = classify_status(resp.status_code, _json_or_text(raw))
                elif body.get("stream"):
                    await self._read_stream(resp, ex)
                else:
                    raw = await resp.aread()
                    self._read_json(raw, ex)
        except httpx.HTTPError as exc:
            ex.error_class = classify_exception(exc)
        ex.latency_ms = int((time.monotonic() - start) * 1000)
        self.ledger.add(ex.reply)
        return ex

    def _read_json(self, raw: bytes, ex: Exchange) -> None:
        try:
            ex.reply = self.adapter.reply(orjson.loads(raw))
        except ValueError:
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = "response is not a valid completion"

    async def _read_stream(self, resp: httpx.Response, ex: Exchange) -> None:
        if "text/event-stream" not in resp.headers.get("content-type", ""):
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = "asked to stream, got no event stream"
            await resp.aread()
            return
        parser = SSEParser()
        events: list[SSEEvent] = []
        try:
            async for chunk in resp.aiter_bytes():
                events.extend(parser.feed(chunk))
        except httpx.HTTPError:
            ex.error_class = ErrorClass.UPSTREAM_ERROR
            ex.note = "stream broke off"
            return
        events.extend(parser.flush())
        try:
            ex.reply = self.adapter.stream_reply(events)
        except StreamFailedError:
            ex.error_class = ErrorClass.UPSTREAM_ERROR
            ex.note = "error event mid-stream"
        except MalformedStreamError as exc:
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = str(exc)  # fixed wording from the adapters, never upstream text
        except (ValueError, KeyError, TypeError):
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = "malformed stream event"


async def _read_capped(resp: httpx.Response) -> bytes:
    buf = b""
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) >= MAX_ERROR_BODY:
            break
    return buf


def _json_or_text(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def new_http(timeout: float, connections: int = 4) -> httpx.AsyncClient:
    """One client per run: bounded pool, per-phase timeouts, no redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
    )
