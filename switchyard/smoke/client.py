"""The probe's HTTP side: one httpx client per run, timing, safe classification, token ledger.

Keys go into request headers and nowhere else; error bodies are read only to classify them.
The router reports what it did in response headers (`x-switchyard-upstream` provider/model,
`x-switchyard-bridge` direction, `x-switchyard-attempts` count), which router-layer rows carry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
import orjson

from switchyard.catalog import BridgeDirection, ErrorClass, Layer, Platform
from switchyard.cloud import CloudAuth, CloudAuthError
from switchyard.wire import (
    ATTEMPTS_HEADER,
    BRIDGE_HEADER,
    PEEK_BYTES,
    UPSTREAM_HEADER,
    SSEEvent,
    classify,
    request_headers,
)
from switchyard.wire.eventstream import stream_parser
from switchyard.wire.platforms import EVENT_STREAM, platform_request, stream_accept

from .access import classify_exception
from .dialects import Body, DialectAdapter, MalformedStreamError, Reply, StreamFailedError


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
    # The target's headers from wire (auth included): what the router sends upstream, or what
    # an official SDK sends the router. Holds a key: never printed.
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    ledger: Ledger = field(default_factory=Ledger)
    platform: Platform = Platform.DIRECT  # Bedrock / Vertex paths and bodies (wire.platforms)
    region: str | None = None
    project: str | None = None
    cloud: CloudAuth | None = field(default=None, repr=False)  # per-request credentials

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.adapter.path

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
        attempts = headers.get(ATTEMPTS_HEADER, "").strip()
        if attempts.isdigit() and len(attempts) < 6:
            ex.fallback = int(attempts) > 1

    async def send(self, body: Body) -> Exchange:
        """POST one probe request; streaming when the body asks for it."""
        ex = Exchange()
        start = time.monotonic()
        headers = request_headers(self.headers, body.get("stream") is True)
        # the path and body the router sends too (Gemini: model and method in the path)
        path, sent = platform_request(
            self.platform, self.adapter.dialect, body, self.region, self.project
        )
        url = self.base_url.rstrip("/") + path
        raw_body = orjson.dumps(sent)
        bedrock = self.platform is Platform.BEDROCK
        if body.get("stream") is True:
            headers["Accept"] = stream_accept(self.platform)
        try:
            if self.cloud is not None:
                headers.update(await self.cloud.headers("POST", url, raw_body, headers))
        except CloudAuthError:
            ex.error_class, ex.note = ErrorClass.AUTH_FAILED, "cloud credentials refused"
            self.ledger.add(None)
            return ex
        try:
            async with self.http.stream("POST", url, content=raw_body, headers=headers) as resp:
                ex.status_code = resp.status_code
                self._router_fields(ex, resp.headers)
                if not 200 <= resp.status_code < 300:
                    raw = await _read_capped(resp)
                    ex.error_class = classify(resp.status_code, raw)
                elif body.get("stream"):
                    await self._read_stream(resp, ex, bedrock)
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
        except (ValueError, TypeError, KeyError, AttributeError):  # wrong-typed reply fields
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = "response is not a valid completion"

    async def _read_stream(self, resp: httpx.Response, ex: Exchange, bedrock: bool) -> None:
        expected = EVENT_STREAM if bedrock else "text/event-stream"
        if expected not in resp.headers.get("content-type", ""):
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = "asked to stream, got no event stream"
            await resp.aread()
            return
        parser = stream_parser(bedrock)  # Bedrock: AWS event-stream frames (botocore)
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
        except (ValueError, KeyError, TypeError, AttributeError):
            ex.error_class = ErrorClass.BAD_RESPONSE
            ex.note = "malformed stream event"


async def _read_capped(resp: httpx.Response) -> bytes:
    buf = b""
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) >= PEEK_BYTES:
            break
    return buf


def new_http(timeout: float, connections: int = 4) -> httpx.AsyncClient:
    """One client per run: bounded pool, per-phase timeouts, no redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
    )
