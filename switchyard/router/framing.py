"""Request framing, checked before any handler runs: one aiohttp middleware.

- Unknown routes and methods answer JSON 404/405 in the caller's skin (by path), not text.
- A POST body is read here under `body_timeout`, so a client that sends half a body and waits
  gets a 408 and its connection closed; the handler then reads the same cached bytes.
- `max_body_bytes` holds for the decoded body (aiohttp counts the inflated bytes), so a small
  compressed body cannot expand past it; an undecodable or unsupported Content-Encoding is a
  400, never a 500.
- JSON nested deeper than `max_json_depth` is a 400: deeper bodies fail later when re-encoded
  for the upstream or translated by a bridge.
- A client that goes away mid-request is one INFO line and a metric, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import cast

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from switchyard.catalog import Dialect
from switchyard.wire import http_error_body

from .runtime import RUNTIME

log = logging.getLogger("switchyard.router.framing")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


def dialect_of(request: web.Request) -> Dialect:
    """The caller's skin, from the path (then the Anthropic version header)."""
    path = request.path
    if path.startswith("/v1/messages") or "anthropic-version" in request.headers:
        return Dialect.ANTHROPIC
    if path.startswith("/v1/responses"):
        return Dialect.OPENAI_RESPONSES
    if path.startswith(("/v1beta/", "/v1/models/")):
        return Dialect.GOOGLE
    return Dialect.OPENAI_CHAT


def error(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = orjson.dumps(http_error_body(dialect_of(request), status, code, message))
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def json_depth_over(value: object, limit: int) -> bool:
    """Whether a parsed JSON value nests deeper than `limit` containers: level by level and
    iterative, type checks inlined (several times faster than a stack of (node, depth) pairs:
    about as long as orjson takes to parse a 350 KB coding-agent body)."""
    level: list[object] = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        deeper: list[object] = []
        for node in level:
            children: Iterable[object] = (
                node.values() if type(node) is dict else cast(list[object], node)
            )
            for child in children:
                kind = type(child)
                if kind is dict or kind is list:
                    deeper.append(child)
        level = deeper
    return False


def too_deep(raw: bytes, limit: int) -> bool:
    # fewer brackets than the limit cannot nest deeper: most bodies are never parsed here
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    try:
        return json_depth_over(orjson.loads(raw), limit)
    except orjson.JSONDecodeError as exc:
        # orjson stops at 1024 levels; other errors are the handler's "not valid JSON"
        return str(exc).startswith("depth limit")


def _encoding(request: web.Request) -> str:
    return request.headers.get("Content-Encoding", "").strip().lower()


async def _read_body(request: web.Request) -> web.Response | None:
    """Read and check the body; a response when it is refused."""
    runtime = request.app[RUNTIME]
    s, metrics = runtime.settings, runtime.metrics
    encoding = _encoding(request)
    if encoding not in ENCODINGS:
        metrics.rejected.labels("bad_encoding").inc()
        return error(request, 415, "UnsupportedEncoding",
                     "Content-Encoding must be gzip, deflate or identity")  # fmt: skip
    try:
        if request.content.is_eof():  # the whole body came with the head: nothing to wait for
            raw = await request.read()
        else:
            async with asyncio.timeout(s.body_timeout):
                raw = await request.read()
    except TimeoutError:
        metrics.slow_clients.labels("body").inc()
        log.debug("request body from %s not complete within %ss", request.remote, s.body_timeout)
        return await _last(request, error(request, 408, "RequestTimeout",
                     f"the request body did not arrive within {s.body_timeout:g} seconds"))  # fmt: skip
    except web.HTTPRequestEntityTooLarge:
        metrics.rejected.labels("too_large").inc()
        return error(request, 413, "RequestTooLarge",
                     f"request body exceeds {s.max_body_bytes} bytes (after decoding)")  # fmt: skip
    except (HttpProcessingError, RequestPayloadError):
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError("the client went away mid-body") from None
        # aiohttp's ContentEncodingError and friends: the body could not be decoded
        metrics.rejected.labels("bad_encoding").inc()
        return await _last(request, error(request, 400, "BadRequest",
                     f"the request body could not be decoded ({encoding or 'identity'})"))  # fmt: skip
    if too_deep(raw, s.max_json_depth):
        metrics.rejected.labels("too_deep").inc()
        return error(request, 400, "BadRequest",
                     f"request JSON nests deeper than {s.max_json_depth} levels")  # fmt: skip
    return None


async def _last(request: web.Request, resp: web.Response) -> web.Response:
    """Send `resp` and close the connection now: the rest of the body is not worth waiting
    for (aiohttp would otherwise linger up to 10 s reading it, or fail reading it)."""
    resp.force_close()
    await resp.prepare(request)
    await resp.write_eof()
    request.protocol.force_close()
    return resp


def _aborted(request: web.Request, stage: str) -> web.Response:
    request.app[RUNTIME].metrics.client_aborts.labels(stage).inc()
    log.info("client %s went away during the %s of %s %s",
             request.remote, stage, request.method, request.path)  # fmt: skip
    return web.Response(status=499)  # never delivered: there is nobody to deliver it to


@web.middleware
async def framing(request: web.Request, handler: Handler) -> web.StreamResponse:
    routed = request.match_info.http_exception is None  # not a 404/405 on its way
    if request.method == "POST" and request.can_read_body and routed:
        try:
            refused = await _read_body(request)
        except (ConnectionResetError, asyncio.IncompleteReadError):
            return _aborted(request, "body")
        if refused is not None:
            return refused
    try:
        return await handler(request)
    except web.HTTPNotFound:
        request.app[RUNTIME].metrics.rejected.labels("not_found").inc()
        return error(request, 404, "NotFound", f"no such endpoint: {request.path[:200]}")
    except web.HTTPMethodNotAllowed as exc:
        request.app[RUNTIME].metrics.rejected.labels("method_not_allowed").inc()
        allowed = ", ".join(sorted(exc.allowed_methods))
        return error(request, 405, "MethodNotAllowed",
                     f"{request.method} is not allowed here; use {allowed}",
                     {"Allow": allowed})  # fmt: skip
    except ConnectionResetError:
        return _aborted(request, "response")
