"""Connection-level limits the aiohttp server lacks: slow request heads, connection caps.

aiohttp closes an idle keep-alive connection, but a client that sends half a request head and
then waits is only cut off by that idle timer, and nothing caps how many connections one
address (or everyone) may hold. So the router runs its app on a server whose per-connection
protocol adds:
- a head deadline: a request line and headers must be complete within `header_timeout` of the
  connection opening, or of the first byte of the next request on a kept-alive connection;
- a cap on open connections in total and per client address: one over the cap is closed at
  once (counted, logged at DEBUG);
- parse errors (bad framing) answered as a JSON 400 on one DEBUG line, not a traceback.
The body deadline and body checks are request-level and live in `framing`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from .metrics import RouterMetrics

log = logging.getLogger("switchyard.router.guard")


@dataclass
class Guard:
    """Open connections by client address, and the limits they are held to."""

    header_timeout: float
    max_connections: int
    max_per_client: int
    metrics: RouterMetrics
    by_client: Counter[str] = field(default_factory=Counter)
    total: int = 0

    def admit(self, client: str) -> bool:
        reason = None
        if self.total >= self.max_connections:
            reason = "total"
        elif self.by_client[client] >= self.max_per_client:
            reason = "per_client"
        if reason is not None:
            self.metrics.connections_refused.labels(reason).inc()
            log.debug("connection from %s refused: %s connection cap reached", client, reason)
            return False
        self.total += 1
        self.by_client[client] += 1
        self.metrics.open_connections.set(self.total)
        return True

    def release(self, client: str) -> None:
        self.total -= 1
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]
        self.metrics.open_connections.set(self.total)


class GuardedHandler(RequestHandler):
    """aiohttp's protocol with a head deadline and the connection caps."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = manager.guard
        self._client: str | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._armed_at_count = 0
        self._last_payload: StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        super().connection_made(transport)
        if not self._guard.admit(client):
            self.force_close()
            return
        self._client = client
        self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        if self._client is not None:
            self._guard.release(self._client)
            self._client = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # bytes after the previous request's body was complete begin the next head
        starts_head = self._last_payload is None or self._last_payload.is_eof()
        before = self._request_count
        super().data_received(data)
        if self._request_count != before:
            self._disarm()  # a complete head arrived
            self._last_payload = self._messages[-1][1] if self._messages else None
        elif starts_head and data and self._head_timer is None:
            self._arm()  # the first bytes of the next request start its clock

    def _arm(self) -> None:
        self._disarm()
        self._armed_at_count = self._request_count
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(self._guard.header_timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self._request_count != self._armed_at_count:
            return
        if self._request_in_progress:  # a pipelined head behind a running request: later
            self._arm()
            return
        self._guard.metrics.slow_clients.labels("header").inc()
        log.debug(
            "connection from %s closed: no complete request head within %ss",
            self._client,
            self._guard.header_timeout,
        )
        self.force_close()

    async def shutdown(self, timeout: float | None = 15.0) -> None:  # noqa: ASYNC109 - aiohttp's API
        """Give the request in progress `timeout` to finish, then cancel it.

        aiohttp waits `timeout` for it, then only cancels its body reads and waits `timeout`
        again before cancelling its task: a drain of twice the timeout, past the pod's grace
        period with the default 25 s. Cancelling the connection's task when the drain ends
        makes it one timeout; the cancelled request still books its usage row (503).
        """
        task = self._task_handler
        cut = None
        if timeout is not None and task is not None and not task.done():
            cut = self._loop.call_later(timeout, task.cancel)
        try:
            await super().shutdown(timeout)
        finally:
            if cut is not None:
                cut.cancel()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Malformed HTTP (status 4xx from the parser) is the client's problem: one DEBUG line
        and a JSON 400. Anything else is ours and keeps aiohttp's full report."""
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        reason = type(exc).__name__ if exc is not None else "BadRequest"
        self._guard.metrics.rejected.labels("bad_http").inc()
        log.debug("malformed request from %s: %s", self._client, reason)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started")
        text = "the request is not valid HTTP/1.1"
        body = {"error": {"message": text, "type": "invalid_request_error", "param": None,
                          "code": "BadRequest"}}  # fmt: skip
        resp = web.Response(status=status, body=orjson.dumps(body), content_type="application/json")
        resp.force_close()
        return resp


class GuardedServer(web.Server):
    def __init__(self, handler: Any, *, guard: Guard, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.guard = guard
        self._handler_kwargs = {
            k: v
            for k, v in kwargs.items()
            if k not in ("request_factory", "handler_cancellation", "loop")
        }

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, loop=self._loop, **self._handler_kwargs)


class GuardedRunner(web.AppRunner):
    """An AppRunner whose server is a GuardedServer (everything else as aiohttp's)."""

    def __init__(self, app: web.Application, guard: Guard, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._guard = guard
        runner_only = ("handle_signals", "shutdown_timeout")
        self._handler_kwargs = {k: v for k, v in kwargs.items() if k not in runner_only}

    async def _make_server(self) -> web.Server:
        base = await super()._make_server()
        return GuardedServer(
            base.request_handler,
            guard=self._guard,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **self._handler_kwargs,
        )
