"""The upstream client: POST over kept-alive HTTP/1.1 connections, pooled per origin.

What aiohttp's ClientSession did for the router's upstream hop, and no more (docs/limits.md):
HTTP/1.1 only, no proxies, no redirects, no cookies; the request head carries the headers as
built plus what aiohttp added (Host, Accept, Accept-Encoding: gzip, deflate, User-Agent,
Content-Length); gzip and deflate replies are decoded. Connections in use count against
`limit` (and `limit_per_host`); a request over the limit waits its turn (first come, first
served among those whose origin has room). An idle connection is reused only if its last
reply was read to the end and said keep-alive, and is closed after `keepalive_timeout`.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import deque
from dataclasses import dataclass

from aiohttp.http import SERVER_SOFTWARE
from multidict import CIMultiDict
from yarl import URL

from .conn import Connection, Key, Response
from .errors import UpstreamConnectError, UpstreamRequestError, UpstreamTimeoutError

KEEPALIVE_TIMEOUT = 15.0  # aiohttp's default
MAX_TARGETS = 4096  # parsed URLs kept: as many as a config has endpoints (least recent dropped)
ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True, slots=True)
class Target:
    key: Key
    host: str  # to connect to (and the TLS server name)
    tls: bool
    start: str  # the request line
    host_line: str  # the Host header as aiohttp wrote it (the port only when not the default)


@functools.lru_cache(maxsize=MAX_TARGETS)
def target(url: str) -> Target:
    """`url` as sent (encoded: a signed path must not change), parsed once."""
    parsed = URL(url, encoded=True)
    host, port, scheme = parsed.raw_host, parsed.port, parsed.scheme
    if scheme not in ("http", "https") or not host or port is None:
        raise UpstreamRequestError("the upstream URL is not an http(s) URL")
    return Target(
        (scheme, host, port), parsed.host or host, scheme == "https",
        f"POST {parsed.raw_path_qs} HTTP/1.1\r\n",
        f"Host: {parsed.host_port_subcomponent}\r\n",
    )  # fmt: skip


def request_head(t: Target, headers: CIMultiDict[str], length: int) -> bytes:
    block = "\r\n".join(map(": ".join, headers.items()))
    lines = len(headers) - 1 if headers else 0
    if block.count("\n") != lines or block.count("\r") != lines:
        raise UpstreamRequestError("a request header holds a line break")
    parts = [t.start]
    if "Host" not in headers:
        parts.append(t.host_line)
    if block:
        parts.append(block)
        parts.append("\r\n")
    if "Accept" not in headers:
        parts.append("Accept: */*\r\n")
    if "Accept-Encoding" not in headers:
        parts.append("Accept-Encoding: gzip, deflate\r\n")
    if "User-Agent" not in headers:
        parts.append(f"User-Agent: {SERVER_SOFTWARE}\r\n")
    parts.append(f"Content-Length: {length}\r\n\r\n")
    return "".join(parts).encode()


class Pool:
    def __init__(
        self, limit: int, limit_per_host: int, connect_timeout: float, read_timeout: float,
        keepalive_timeout: float = KEEPALIVE_TIMEOUT, tls: ssl.SSLContext | None = None,
    ) -> None:  # fmt: skip
        """`tls`: the context for https origins (default: the system's CAs, made on first use)."""
        self.limit = limit
        self.limit_per_host = limit_per_host  # 0: none
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keepalive_timeout = keepalive_timeout
        self._idle: dict[Key, list[Connection]] = {}
        self._busy = 0
        self._busy_host: dict[Key, int] = {}
        self._waiters: deque[tuple[Key, asyncio.Future[None]]] = deque()
        self._all: set[Connection] = set()
        self._ssl = tls
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False

    async def post(self, url: str, headers: CIMultiDict[str], body: bytes) -> Response:
        """Send; return once the response head is in (the body follows through the Response,
        whose `release` must be called)."""
        t = target(url)
        data = request_head(t, headers, len(body))
        key = t.key
        if self._closed:
            raise UpstreamConnectError("the upstream client is closed")
        await self._slot(key)
        conn = None
        try:
            conn = self._reuse(key) or await self._connect(t)
            resp = conn.send(data, body)
        except BaseException:
            if conn is not None:
                conn.abort()
                self._all.discard(conn)
            self._free(key)
            raise
        try:
            await conn.head(resp)
        except BaseException:
            resp.release()
            raise
        return resp

    def idle(self, key: Key) -> list[Connection]:
        """The idle connections to `key` (tests watch them close)."""
        return list(self._idle.get(key, ()))

    async def close(self) -> None:
        """Close every connection (replies still being read end with an error) at once."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self._all):
            conn.abort()
        self._all.clear()
        self._idle.clear()
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(UpstreamConnectError("the upstream client is closed"))
        await asyncio.sleep(0)  # let the transports report their loss

    # slots: connections in use (or being opened), counted in total and per origin

    def _room(self, key: Key) -> bool:
        if self._busy >= self.limit:
            return False
        return not self.limit_per_host or self._busy_host.get(key, 0) < self.limit_per_host

    def _take(self, key: Key) -> None:
        self._busy += 1
        self._busy_host[key] = self._busy_host.get(key, 0) + 1

    async def _slot(self, key: Key) -> None:
        if not self._waiters and self._room(key):
            self._take(key)
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (key, waiter)
        self._waiters.append(entry)
        try:
            await waiter  # _free took the slot for us before waking us
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._free(key)  # woken, then cancelled: pass the slot on
            elif entry in self._waiters:
                self._waiters.remove(entry)
            raise

    def _free(self, key: Key) -> None:
        self._busy -= 1
        left = self._busy_host[key] - 1
        if left:
            self._busy_host[key] = left
        else:
            del self._busy_host[key]
        for entry in self._waiters:
            waiting, waiter = entry
            if waiter.done():
                continue
            if self._room(waiting):
                self._waiters.remove(entry)
                self._take(waiting)
                waiter.set_result(None)
                return

    # connections

    def _reuse(self, key: Key) -> Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        deadline = asyncio.get_running_loop().time() - self.keepalive_timeout
        while idle:
            conn = idle.pop()
            transport = conn.transport
            if transport is not None and not transport.is_closing() and conn.idle_since > deadline:
                return conn
            conn.close()
            self._all.discard(conn)
        return None

    async def _connect(self, t: Target) -> Connection:
        loop = asyncio.get_running_loop()
        context = None
        if t.tls:
            context = self._ssl = self._ssl or ssl.create_default_context()
        key, timeout = t.key, self.read_timeout
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(
                    lambda: Connection(key, timeout, self._done), t.host, key[2],
                    ssl=context, server_hostname=t.host if t.tls else None,
                )  # fmt: skip
        except TimeoutError as exc:
            if exc.errno is None:  # our timer, not the kernel's ETIMEDOUT
                raise UpstreamTimeoutError("connecting to the upstream timed out") from None
            raise UpstreamConnectError("connecting to the upstream failed") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS (SSLError is an OSError)
            name = type(exc).__name__
            raise UpstreamConnectError(f"connecting to the upstream failed ({name})") from None
        if self._closed:
            conn.abort()
            raise UpstreamConnectError("the upstream client is closed")
        self._all.add(conn)
        return conn

    def _done(self, conn: Connection, keep: bool) -> None:
        """A response was released: park its connection (kept alive) or forget it."""
        if keep and not self._closed:
            now = conn.loop.time()
            conn.idle_since = now
            self._idle.setdefault(conn.key, []).append(conn)
            if self._sweeper is None:
                self._sweeper = conn.loop.call_at(now + self.keepalive_timeout, self._sweep)
        else:
            self._all.discard(conn)
        self._free(conn.key)

    def _sweep(self) -> None:
        """Close the connections idle for keepalive_timeout; come back for the next."""
        self._sweeper = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() - self.keepalive_timeout
        oldest: float | None = None
        for key, idle in list(self._idle.items()):
            keep = []
            for conn in idle:
                if conn.closed or conn.idle_since <= deadline:
                    conn.close()
                    self._all.discard(conn)
                else:
                    keep.append(conn)
                    oldest = conn.idle_since if oldest is None else min(oldest, conn.idle_since)
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        if oldest is not None:
            self._sweeper = loop.call_at(oldest + self.keepalive_timeout, self._sweep)
