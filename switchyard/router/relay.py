"""Carrying an upstream reply back to the caller: JSON, native SSE, or SSE through a bridge.

Until the first upstream byte is in hand nothing is sent, so failures up to then still fall
back. Afterwards a failure ends the caller's stream with a dialect-correct error event. Each
upstream read becomes at most one write (what arrived together leaves together).
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import orjson
from aiohttp import web

from switchyard.catalog import Dialect, ErrorClass

from .bridges import Bridge, BridgeContext, BridgeUpstreamFailed, StreamTranslator
from .dialects import DialectAdapter
from .errors import stream_error, upstream_message
from .exchange import Exchange
from .sse import SSEParser
from .upstream import UpstreamError, exception_class

SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


@dataclass
class Leg:
    """The upstream half of an attempt: how to read and translate what comes back."""

    upstream: DialectAdapter  # the provider's skin (usage and stream ends are read in it)
    inbound: Dialect
    bridge: Bridge | None
    ctx: BridgeContext | None
    extra_headers: dict[str, str]


async def _first_chunk(resp: aiohttp.ClientResponse) -> bytes:
    try:
        chunk = await resp.content.readany()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise UpstreamError(exception_class(exc)) from None
    if not chunk:
        raise UpstreamError(ErrorClass.BAD_RESPONSE)
    return chunk


async def json_reply(
    request: web.Request, resp: aiohttp.ClientResponse, leg: Leg, ex: Exchange
) -> tuple[web.Response, str | None]:
    """A whole JSON reply; returns the response and the upstream response id."""
    try:
        raw = await resp.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise UpstreamError(exception_class(exc)) from None
    try:
        data = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:
        raise UpstreamError(ErrorClass.BAD_RESPONSE) from None
    ex.usage = leg.upstream.usage(data)
    rid = data.get("id") if isinstance(data.get("id"), str) else None
    if leg.bridge is not None and leg.ctx is not None:
        try:
            raw = orjson.dumps(leg.bridge.response(data, leg.ctx))
        except BridgeUpstreamFailed as exc:
            raise UpstreamError(exc.error_class) from None
    ex.first_byte()
    ex.status = 200
    out = web.Response(body=raw, content_type="application/json", headers=leg.extra_headers)
    return out, rid


async def stream_reply(
    request: web.Request, resp: aiohttp.ClientResponse, leg: Leg, ex: Exchange
) -> tuple[web.StreamResponse, str | None]:
    """Relay (or translate) an SSE stream; returns the response and the upstream response id."""
    if "json" in resp.headers.get("Content-Type", ""):
        raise UpstreamError(ErrorClass.BAD_RESPONSE)  # asked for a stream, got a document
    chunk = await _first_chunk(resp)
    out = web.StreamResponse(headers={**SSE_HEADERS, **leg.extra_headers})
    await out.prepare(request)
    ex.status = 200
    parser = SSEParser()
    watcher = leg.upstream.watcher()
    translator: StreamTranslator | None = None
    if leg.bridge is not None and leg.ctx is not None:
        translator = leg.bridge.stream(leg.ctx)
    failure: ErrorClass | None = None
    try:
        while chunk:
            events = parser.feed(chunk)
            if translator is None:
                for event in events:
                    watcher.observe(event)
                data = chunk
            else:
                parts = []
                for event in events:
                    watcher.observe(event)
                    parts.append(translator.feed(event))
                data = b"".join(parts)
            if data:
                ex.first_byte()
                await out.write(data)
            chunk = await resp.content.readany()
        for event in parser.flush():
            watcher.observe(event)
            if translator is not None:
                await out.write(translator.feed(event))
        if watcher.failed:
            failure = ErrorClass.UPSTREAM_ERROR  # the in-band error event was relayed already
        elif not watcher.finished:
            failure = ErrorClass.BAD_RESPONSE
            await out.write(_fail(leg, translator, failure))
        elif translator is not None:
            await out.write(translator.finish())
    except (TimeoutError, aiohttp.ClientError) as exc:
        failure = exception_class(exc)
        await out.write(_fail(leg, translator, failure))
    except BridgeUpstreamFailed as exc:
        failure = exc.error_class
        await out.write(_fail(leg, translator, failure))
    ex.first_byte()
    ex.usage = translator.usage if translator is not None else watcher.usage
    ex.error_class = failure
    await out.write_eof()
    rid = translator.response_id if translator is not None else None
    return out, rid


def _fail(leg: Leg, translator: StreamTranslator | None, error_class: ErrorClass) -> bytes:
    message = upstream_message(error_class)
    if translator is not None:
        return translator.fail(error_class, message)
    return stream_error(leg.inbound, error_class, message)
