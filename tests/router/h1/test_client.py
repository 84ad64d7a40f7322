"""The upstream HTTP/1.1 client (router/h1) against raw servers on 127.0.0.1.

Each server is a few lines of asyncio writing exact bytes: the framings (Content-Length,
chunked, close-delimited), compression, broken replies, silences, kept-alive connections and
their loss, the pool limit, and flow control. Every test runs on asyncio's loop and uvloop.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from multidict import CIMultiDict

from switchyard.catalog import ErrorClass
from switchyard.router.h1 import (
    HIGH_WATER,
    Pool,
    UpstreamBodyError,
    UpstreamConnectError,
    UpstreamRequestError,
    UpstreamTimeoutError,
    UpstreamTooLargeError,
)
from switchyard.router.upstream import exception_class

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEADERS = CIMultiDict({"Content-Type": "application/json", "Accept": "application/json"})
BIG = 1 << 30  # a read limit no reply here comes near


class Server:
    """A raw server: `handler` runs per connection; `accepts` counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.accepts = 0
        self.heads: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        try:
            await self.handler(reader, writer)
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def request(self, reader: asyncio.StreamReader) -> bytes:
        """One request (head and Content-Length body); b"" when the client closed."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return b""
        self.heads.append(head)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return head + await reader.readexactly(length)


def replying(*replies: bytes, close: bool = False) -> Callable[[Server], Handler]:
    """A handler answering each request on a connection with the next reply, in order."""

    def make(server: Server) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for reply in replies:
                if not await server.request(reader):
                    return
                writer.write(reply)
                await writer.drain()
                if close:
                    return
            await reader.read()  # then hold the connection until the client closes it

        return handle

    return make


@pytest.fixture
async def pool() -> AsyncIterator[Pool]:
    p = Pool(limit=8, limit_per_host=0, connect_timeout=5.0, read_timeout=5.0)
    yield p
    await p.close()


async def serve(make: Callable[[Server], Handler]) -> Server:
    server = Server(lambda r, w: asyncio.sleep(0))
    server.handler = make(server)
    return await server.__aenter__()


def ok(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 200 OK\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def chunked(*parts: bytes, headers: str = "") -> bytes:
    out = f"HTTP/1.1 200 OK\r\n{headers}Transfer-Encoding: chunked\r\n\r\n".encode()
    for p in parts:
        out += f"{len(p):x}\r\n".encode() + p + b"\r\n"
    return out + b"0\r\n\r\n"


async def test_content_length_reply_and_the_request_as_sent(pool: Pool) -> None:
    server = await serve(replying(ok(b'{"a":1}', "Content-Type: application/json")))
    url = server.url + "/model/us.anthropic.claude%3A0/invoke?x=%2F"
    resp = await pool.post(url, HEADERS, b'{"q":1}')
    assert resp.status == 200
    assert resp.headers.get("content-type") == "application/json"
    assert await resp.read(BIG) == b'{"a":1}'
    resp.release()
    head = server.heads[0].decode()
    lines = head.split("\r\n")
    assert lines[0] == "POST /model/us.anthropic.claude%3A0/invoke?x=%2F HTTP/1.1"
    port = url.split(":")[2].split("/")[0]
    for line in (f"Host: 127.0.0.1:{port}", "Accept: application/json",
                 "Accept-Encoding: gzip, deflate", "Content-Length: 7",
                 "Content-Type: application/json"):  # fmt: skip
        assert line in lines
    assert any(line.startswith("User-Agent: Python/") for line in lines)
    await server.__aexit__()


async def test_a_reply_longer_than_the_limit_is_refused_whole(pool: Pool) -> None:
    """However the length is told (Content-Length, chunks, the close), the reader gets an
    error past the limit, never the bytes."""
    body = b"x" * 3000
    framings = [ok(body), chunked(body[:1000], body[1000:]), b"HTTP/1.1 200 OK\r\n\r\n" + body]
    for reply in framings:
        server = await serve(replying(reply, close=True))
        resp = await pool.post(server.url + "/big", HEADERS, b"{}")
        with pytest.raises(UpstreamTooLargeError, match="longer than 2048 bytes") as caught:
            await resp.read(2048)
        assert caught.value.error_class is ErrorClass.BAD_RESPONSE
        resp.release()
        await server.__aexit__()
    server = await serve(replying(ok(body)))
    resp = await pool.post(server.url + "/fits", HEADERS, b"{}")
    assert await resp.read(3000) == body  # exactly the limit is fine
    resp.release()
    await server.__aexit__()


async def test_chunked_and_close_delimited_bodies(pool: Pool) -> None:
    server = await serve(replying(chunked(b"data: 1\n\n", b"data: 2\n\n")))
    resp = await pool.post(server.url + "/c", HEADERS, b"{}")
    assert await resp.read(BIG) == b"data: 1\n\ndata: 2\n\n"
    resp.release()
    await server.__aexit__()
    server = await serve(replying(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", close=True))
    resp = await pool.post(server.url + "/e", HEADERS, b"{}")
    assert await resp.read(BIG) == b"until the end"
    resp.release()
    await server.__aexit__()


async def test_gzip_and_deflate_are_decoded_streaming_too(pool: Pool) -> None:
    text = b"data: " + b"x" * 50000 + b"\n\n"
    packed = gzip.compress(text)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    deflated = raw.compress(text) + raw.flush()
    pieces = [packed[i : i + 1000] for i in range(0, len(packed), 1000)]
    server = await serve(replying(
        ok(packed, "Content-Encoding: gzip"),
        chunked(*pieces, headers="Content-Encoding: gzip\r\n"),
        ok(zlib.compress(text), "Content-Encoding: deflate"),
        ok(deflated, "Content-Encoding: deflate"),
    ))  # fmt: skip
    for _ in range(4):
        resp = await pool.post(server.url + "/z", HEADERS, b"{}")
        assert await resp.read(BIG) == text
        resp.release()
    assert server.accepts == 1
    await server.__aexit__()


@pytest.mark.parametrize(
    ("reply", "error", "error_class"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut", UpstreamBodyError,
         ErrorClass.UPSTREAM_ERROR),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
         UpstreamBodyError, ErrorClass.UPSTREAM_ERROR),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", UpstreamBodyError,
         ErrorClass.UPSTREAM_ERROR),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
         UpstreamBodyError, ErrorClass.UPSTREAM_ERROR),
    ],
)  # fmt: skip
async def test_a_broken_body_is_an_upstream_error(
    pool: Pool, reply: bytes, error: type[Exception], error_class: ErrorClass
) -> None:
    server = await serve(replying(reply, close=True))
    resp = await pool.post(server.url + "/b", HEADERS, b"{}")
    with pytest.raises(error) as caught:
        await resp.read(BIG)
    assert exception_class(caught.value) is error_class
    resp.release()
    await server.__aexit__()


@pytest.mark.parametrize(
    "reply", [b"garbage instead of a status line\r\n\r\n", b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
              b"HTTP/1.1 200 OK\r\nContent-Le"],
)  # fmt: skip
async def test_a_broken_or_missing_head_is_a_connect_error(pool: Pool, reply: bytes) -> None:
    server = await serve(replying(reply, close=True))
    with pytest.raises(UpstreamConnectError) as caught:
        await pool.post(server.url + "/h", HEADERS, b"{}")
    assert exception_class(caught.value) is ErrorClass.CONNECT_ERROR
    await server.__aexit__()


async def test_silence_before_the_head_or_in_the_body_times_out() -> None:
    # long enough that a stalled test process (a busy CI machine) cannot fake the silence
    # between the request and the head of the second reply
    pool = Pool(limit=8, limit_per_host=0, connect_timeout=5.0, read_timeout=2.0)
    server = await serve(replying())  # reads the request, never answers
    with pytest.raises(UpstreamTimeoutError) as caught:
        await pool.post(server.url + "/t", HEADERS, b"{}")
    assert exception_class(caught.value) is ErrorClass.TIMEOUT
    await server.__aexit__()
    server = await serve(replying(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nsome"))
    resp = await pool.post(server.url + "/t", HEADERS, b"{}")
    assert await resp.readany() == b"some"
    with pytest.raises(UpstreamTimeoutError):
        await resp.readany()
    resp.release()
    await pool.close()
    await server.__aexit__()


async def test_connect_failure_is_a_connect_error(pool: Pool) -> None:
    server = await serve(replying())
    url = server.url
    await server.__aexit__()
    assert server.server is not None
    await server.server.wait_closed()
    with pytest.raises(UpstreamConnectError):
        await pool.post(url + "/x", HEADERS, b"{}")


async def test_one_connection_serves_sequential_requests(pool: Pool) -> None:
    server = await serve(replying(*[ok(b"%d" % i) for i in range(5)]))
    for i in range(5):
        resp = await pool.post(server.url + "/k", HEADERS, b"{}")
        assert await resp.read(BIG) == b"%d" % i
        resp.release()
    assert server.accepts == 1
    await server.__aexit__()


async def test_a_reply_released_unread_closes_its_connection(pool: Pool) -> None:
    server = await serve(replying(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome"))
    resp = await pool.post(server.url + "/u", HEADERS, b"{}")
    resp.release()  # not read to its end: the connection cannot carry another request
    resp = await pool.post(server.url + "/u", HEADERS, b"{}")
    resp.release()
    assert server.accepts == 2
    await server.__aexit__()


async def test_a_connection_the_server_closed_while_idle_is_replaced(pool: Pool) -> None:
    server = await serve(replying(ok(b"first"), close=True))
    resp = await pool.post(server.url + "/i", HEADERS, b"{}")
    assert await resp.read(BIG) == b"first"
    resp.release()
    key = ("http", "127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    (idle,) = pool.idle(key)
    await idle.lost  # the server's close reached the client
    resp = await pool.post(server.url + "/i", HEADERS, b"{}")
    assert await resp.read(BIG) == b"first"
    resp.release()
    assert server.accepts == 2
    await server.__aexit__()


async def test_a_close_before_the_head_is_a_connect_error(pool: Pool) -> None:
    """aiohttp's ServerDisconnectedError: the request is not sent again (a POST)."""

    def make(server: Server) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.request(reader)

        return handle

    server = await serve(make)
    with pytest.raises(UpstreamConnectError):
        await pool.post(server.url + "/d", HEADERS, b"{}")
    assert server.accepts == 1
    await server.__aexit__()


async def test_over_the_limit_a_request_waits_for_a_connection() -> None:
    pool = Pool(limit=1, limit_per_host=0, connect_timeout=5.0, read_timeout=5.0)
    server = await serve(replying(ok(b"one"), ok(b"two")))
    first = await pool.post(server.url + "/l", HEADERS, b"{}")
    second = asyncio.create_task(pool.post(server.url + "/l", HEADERS, b"{}"))
    cancelled = asyncio.create_task(pool.post(server.url + "/l", HEADERS, b"{}"))
    await asyncio.sleep(0)  # both run up to their wait for a slot
    assert not second.done() and len(server.heads) == 1
    cancelled.cancel()
    assert await first.read(BIG) == b"one"
    first.release()
    resp = await second
    assert await resp.read(BIG) == b"two"
    resp.release()
    assert cancelled.cancelled() and server.accepts == 1
    await pool.close()
    await server.__aexit__()


async def test_a_slow_reader_pauses_the_socket() -> None:
    """The server streams 16 MiB as fast as it can; the reader takes a chunk only once the
    client paused reading: what the client holds never grows past the high-water mark (and
    one socket read)."""
    pool = Pool(limit=8, limit_per_host=0, connect_timeout=5.0, read_timeout=30.0)
    piece, count = b"z" * 65536, 256

    def make(server: Server) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(piece) * count))
            for _ in range(count):
                writer.write(piece)
                await writer.drain()
            await reader.read()

        return handle

    server = await serve(make)
    resp = await pool.post(server.url + "/f", HEADERS, b"{}")
    conn = resp._conn
    assert conn is not None
    got, most, pauses = 0, 0, 0
    while True:
        # a yield, not a timed wait: the loop runs until the client paused the socket
        while not conn.paused and not resp._eof:  # noqa: ASYNC110
            await asyncio.sleep(0)
        pauses += conn.paused
        most = max(most, resp._size)
        chunk = await resp.readany()
        if not chunk:
            break
        got += len(chunk)
    assert got == len(piece) * count
    assert pauses > 1
    assert most < HIGH_WATER + 1024 * 1024
    resp.release()
    await pool.close()
    await server.__aexit__()


async def test_close_ends_replies_in_flight_at_once(pool: Pool) -> None:
    server = await serve(replying(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nsome"))
    resp = await pool.post(server.url + "/c", HEADERS, b"{}")
    assert await resp.readany() == b"some"
    reading = asyncio.create_task(resp.readany())
    await pool.close()
    with pytest.raises(UpstreamBodyError):
        await reading
    resp.release()
    with pytest.raises(UpstreamConnectError):
        await pool.post(server.url + "/c", HEADERS, b"{}")
    await server.__aexit__()


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1:21/v1/chat", "http:///v1/chat", "127.0.0.1:8080/v1/chat", "x"]
)
async def test_a_url_that_is_not_http_is_refused_every_time(pool: Pool, url: str) -> None:
    for _ in range(2):  # a refusal is not remembered as a parsed target
        with pytest.raises(UpstreamRequestError, match="not an http\\(s\\) URL"):
            await pool.post(url, HEADERS, b"{}")


async def test_a_header_with_a_line_break_is_never_sent(pool: Pool) -> None:
    server = await serve(replying(ok(b"")))
    headers = CIMultiDict({"X-Bad": "a\r\nInjected: yes"})
    with pytest.raises(UpstreamRequestError):
        await pool.post(server.url + "/r", headers, b"{}")
    assert server.accepts == 0
    await server.__aexit__()


async def test_an_interim_head_is_skipped(pool: Pool) -> None:
    server = await serve(replying(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"after")))
    resp = await pool.post(server.url + "/1xx", HEADERS, b"{}")
    assert resp.status == 200
    assert await resp.read(BIG) == b"after"
    resp.release()
    await server.__aexit__()


async def test_an_idle_connection_is_closed_after_the_keepalive_timeout() -> None:
    pool = Pool(limit=8, limit_per_host=0, connect_timeout=5.0, read_timeout=5.0,
                keepalive_timeout=0.05)  # fmt: skip
    server = await serve(replying(ok(b"x"), ok(b"y")))
    resp = await pool.post(server.url + "/k", HEADERS, b"{}")
    await resp.read(BIG)
    resp.release()
    key = ("http", "127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    (idle,) = pool.idle(key)
    await idle.lost  # closed by the pool's sweep, not by the server (which still waits)
    assert pool.idle(key) == []
    await pool.close()
    await server.__aexit__()


async def test_the_per_host_limit_holds_one_origin_not_the_others() -> None:
    pool = Pool(limit=8, limit_per_host=1, connect_timeout=5.0, read_timeout=5.0)
    one = await serve(replying(ok(b"a"), ok(b"b")))
    other = await serve(replying(ok(b"c")))
    first = await pool.post(one.url + "/p", HEADERS, b"{}")
    waiting = asyncio.create_task(pool.post(one.url + "/p", HEADERS, b"{}"))
    resp = await pool.post(other.url + "/p", HEADERS, b"{}")  # another origin: room
    assert await resp.read(BIG) == b"c"
    resp.release()
    assert not waiting.done()
    assert await first.read(BIG) == b"a"
    first.release()
    second = await waiting
    assert await second.read(BIG) == b"b"
    second.release()
    await pool.close()
    await one.__aexit__()
    await other.__aexit__()


def _certificates(tmp: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 and localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h1 test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(1)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (tmp / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(pem))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"


async def test_https_checks_the_certificate_and_its_name(tmp_path: Path) -> None:
    ca, cert, key = _certificates(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    server = Server(lambda r, w: asyncio.sleep(0))
    server.handler = replying(ok(b"secret"), ok(b"again"))(server)
    server.server = await asyncio.start_server(server._serve, "127.0.0.1", 0, ssl=served)
    port = server.server.sockets[0].getsockname()[1]
    trusting = ssl.create_default_context(cafile=str(ca))
    pool = Pool(limit=8, limit_per_host=0, connect_timeout=5.0, read_timeout=5.0, tls=trusting)
    for expected in (b"secret", b"again"):
        resp = await pool.post(f"https://localhost:{port}/s", HEADERS, b"{}")
        assert await resp.read(BIG) == expected
        resp.release()
    assert server.accepts == 1
    assert f"Host: localhost:{port}".encode() in server.heads[0]
    await pool.close()
    stranger = Pool(limit=8, limit_per_host=0, connect_timeout=5.0, read_timeout=5.0)
    with pytest.raises(UpstreamConnectError) as caught:  # the system's CAs do not know it
        await stranger.post(f"https://localhost:{port}/s", HEADERS, b"{}")
    assert "SSL" in str(caught.value) or "Certificate" in str(caught.value)
    await stranger.close()
    await server.__aexit__()
