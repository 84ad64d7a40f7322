"""One upstream HTTP/1.1 connection (an asyncio Protocol on the running loop) and its response.

httptools (llhttp) parses; this module only keeps state. One request at a time per connection;
the response's decoded body waits in a list of chunks until the reader takes it, and reading
from the socket pauses while more than HIGH_WATER bytes wait (a slow caller never makes the
router hold a whole stream). The read timeout is the longest silence from the peer while a
response is expected: one timer per response compares the time of the last bytes instead of
being moved on every chunk; it does not run while reading is paused (the silence is ours).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable

from httptools import (
    HttpParserCallbackError,
    HttpParserError,
    HttpParserUpgrade,
    HttpResponseParser,
)

from .errors import (
    UpstreamBodyError,
    UpstreamConnectError,
    UpstreamIOError,
    UpstreamTimeoutError,
    UpstreamTooLargeError,
)

# Decoded body bytes waiting for the reader before the socket stops being read (aiohttp: 2x64K)
HIGH_WATER = 128 * 1024
Key = tuple[str, str, int]  # an origin: scheme, host, port


class Response:
    """The reply to one request: status and headers (names lower-cased, the first of repeated
    ones kept), then the body through `readany` / `read`. `release` hands the connection back
    (kept alive only when the body was read to its end) and must be called exactly once."""

    __slots__ = (
        "_chunks",
        "_conn",
        "_decoder",
        "_eof",
        "_error",
        "_released",
        "_size",
        "_waiter",
        "headers",
        "status",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self._conn: Connection | None = conn
        self._chunks: list[bytes] = []
        self._size = 0
        self._waiter: asyncio.Future[None] | None = None
        self._eof = False
        self._error: UpstreamIOError | None = None
        self._decoder: Decoder | None = None
        self._released = False

    async def readany(self) -> bytes:
        """Whatever body bytes are in hand (waiting for some); b"" at the end of the body."""
        while True:
            chunks = self._chunks
            if chunks:
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                self._chunks = []
                self._size = 0
                conn = self._conn
                if conn is not None and conn.paused:
                    conn.resume()
                return data
            if self._error is not None:
                raise self._error
            if self._eof:
                return b""
            await self._wait()

    async def read(self, limit: int) -> bytes:
        """The whole body, of at most `limit` bytes (decoded): an upstream must not make the
        router hold a reply of any size."""
        parts = []
        size = 0
        while chunk := await self.readany():
            size += len(chunk)
            if size > limit:
                raise UpstreamTooLargeError(f"the reply is longer than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def _wait(self) -> None:
        conn = self._conn
        if conn is None:  # released: nothing more will come
            raise UpstreamBodyError("the response was released before its body was read")
        waiter = self._waiter = conn.loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _feed(self, data: bytes) -> None:
        decoder = self._decoder
        if decoder is not None:
            try:
                data = decoder.decompress(data)
            except zlib.error:
                raise UpstreamBodyError("the response body does not decompress") from None
            if not data:
                return
        self._chunks.append(data)
        self._size += len(data)
        self._wake()

    def _finish(self) -> None:
        decoder = self._decoder
        if decoder is not None:
            try:
                tail = decoder.flush()
            except zlib.error:
                raise UpstreamBodyError("the response body does not decompress") from None
            if not decoder.eof:  # (a compressed stream carries its own end)
                raise UpstreamBodyError("the compressed response body ends early")
            if tail:
                self._chunks.append(tail)
        self._eof = True
        self._wake()

    def _fail(self, error: UpstreamIOError) -> None:
        if not self._eof and self._error is None:
            self._error = error
            self._wake()

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.done(self, self._eof and self._error is None)


class Connection(asyncio.Protocol):
    """A kept-alive socket to one origin, owned by the pool; `on_*` are llhttp's callbacks."""

    def __init__(
        self, key: Key, read_timeout: float, release: Callable[[Connection, bool], None]
    ) -> None:
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.read_timeout = read_timeout
        self._release = release
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.resp: Response | None = None
        self.closed = False
        self.lost: asyncio.Future[None] = self.loop.create_future()
        self.paused = False
        self.reusable = False
        self.idle_since = 0.0
        self._head_waiter: asyncio.Future[None] | None = None
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._framed = False  # Content-Length or chunked: the body does not end at EOF
        self._interim = False  # a 1xx head: the real one follows

    # transport side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # (uvloop's is no subclass)

    def data_received(self, data: bytes) -> None:
        resp = self.resp
        if resp is None or resp._eof:  # bytes nobody asked for: the connection is unusable
            self.reusable = False
            self.close()
            return
        self._last = self.loop.time()
        try:
            self.parser.feed_data(data)
        except HttpParserCallbackError as exc:
            cause = exc.__context__
            self._broken(cause if isinstance(cause, UpstreamIOError) else None)
        except (HttpParserError, HttpParserUpgrade):
            self._broken(None)

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost settles the response

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        if not self.lost.done():
            self.lost.set_result(None)
        self._stop_timer()
        resp = self.resp
        if resp is None or resp._eof or resp._error is not None:
            return
        if resp.status == 0:
            self._head_failed(UpstreamConnectError("the upstream closed the connection"))
        elif self._framed:
            resp._fail(UpstreamBodyError("the upstream closed the connection mid-body"))
        else:  # a close-delimited body ends here
            try:
                resp._finish()
            except UpstreamBodyError as error:
                resp._fail(error)

    def pause_writing(self) -> None:  # the whole request is in memory already
        pass

    def resume_writing(self) -> None:
        pass

    # request side

    def send(self, data: bytes, body: bytes) -> Response:
        transport = self.transport
        if transport is None or transport.is_closing():  # lost while the request waited
            raise UpstreamConnectError("the upstream closed the connection")
        resp = self.resp = Response(self)
        self._framed = self._interim = False
        self.reusable = False
        if body and len(body) > 16384:
            transport.write(data)
            transport.write(body)
        else:
            transport.write(data + body)
        now = self._last = self.loop.time()
        self._timer = self.loop.call_at(now + self.read_timeout, self._check)
        return resp

    async def head(self, resp: Response) -> None:
        """Wait for the response head (raising what stopped it)."""
        if resp.status == 0 and resp._error is None:
            waiter = self._head_waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                self._head_waiter = None
        if resp._error is not None and resp.status == 0:
            raise resp._error

    def done(self, resp: Response, complete: bool) -> None:
        """`resp` was released: keep the connection only if its whole reply was read."""
        self.resp = None
        keep = complete and self.reusable and not self.closed
        if not keep:
            self.close()
        self._release(self, keep)

    def resume(self) -> None:
        self.paused = False
        self._last = self.loop.time()
        if self.transport is not None:
            self.transport.resume_reading()

    def close(self) -> None:
        self._stop_timer()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self._stop_timer()
        if self.transport is not None:
            self.transport.abort()

    def _check(self) -> None:
        """The read timer: fail after read_timeout without bytes, unless reading is paused."""
        self._timer = None
        resp = self.resp
        if resp is None or resp._eof or resp._error is not None:
            return
        now = self.loop.time()
        if self.paused:
            self._timer = self.loop.call_at(now + self.read_timeout, self._check)
        elif now - self._last >= self.read_timeout:
            self._broken(UpstreamTimeoutError("the upstream fell silent"))
        else:
            self._timer = self.loop.call_at(self._last + self.read_timeout, self._check)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _broken(self, error: UpstreamIOError | None) -> None:
        resp = self.resp
        self.reusable = False
        self.abort()
        if resp is None:
            return
        if resp.status == 0:
            self._head_failed(error or UpstreamConnectError("the upstream sent a broken head"))
        else:
            resp._fail(error or UpstreamBodyError("the upstream sent a broken body"))

    def _head_failed(self, error: UpstreamIOError) -> None:
        resp = self.resp
        if resp is not None:
            resp._error = error
        waiter = self._head_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # llhttp callbacks (raising here surfaces as HttpParserCallbackError in data_received)

    def on_message_begin(self) -> None:
        resp = self.resp
        if resp is not None:
            if resp._eof:  # a second reply to one request: the connection is out of step
                raise UpstreamBodyError("the upstream sent more than one reply")
            resp.headers = {}

    def on_header(self, name: bytes, value: bytes) -> None:
        resp = self.resp
        if resp is not None:
            resp.headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))

    def on_headers_complete(self) -> None:
        resp = self.resp
        if resp is None:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            self._interim = True
            return
        headers = resp.headers
        self._framed = "content-length" in headers or "transfer-encoding" in headers
        coding = headers.get("content-encoding")
        if coding is not None:
            coding = coding.strip().lower()
            if coding in ("gzip", "x-gzip", "deflate"):
                resp._decoder = Decoder(coding != "deflate")
        resp.status = status
        waiter = self._head_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def on_body(self, body: bytes) -> None:
        resp = self.resp
        if resp is None:
            return
        resp._feed(body)
        if resp._size > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        resp = self.resp
        if resp is None:
            return
        if self._interim:
            self._interim = False
            return
        self._stop_timer()
        self.reusable = self.parser.should_keep_alive()
        resp._finish()


class Decoder:
    """aiohttp's auto_decompress: gzip, or `deflate` zlib-wrapped as the RFC says or raw as
    some servers send it (told apart by the first byte). A body with no bytes is complete."""

    __slots__ = ("_inner", "gzip")

    def __init__(self, gzip: bool) -> None:
        self.gzip = gzip
        self._inner: zlib._Decompress | None = None

    def decompress(self, data: bytes) -> bytes:
        inner = self._inner
        if inner is None:
            if not data:
                return b""
            if self.gzip:
                wbits = 16 + zlib.MAX_WBITS
            else:
                wbits = -zlib.MAX_WBITS if data[0] & 0x0F != 8 else zlib.MAX_WBITS
            inner = self._inner = zlib.decompressobj(wbits)
        return inner.decompress(data)

    def flush(self) -> bytes:
        return self._inner.flush() if self._inner is not None else b""

    @property
    def eof(self) -> bool:
        return self._inner is None or self._inner.eof
