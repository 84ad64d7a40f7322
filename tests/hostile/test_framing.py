"""Slow, broken and malformed clients against a real router process, over raw sockets.

Timeouts are set small for the test (fractions of a second); assertions only say "the router
closed the connection" (recv returns b"") before a generous socket timeout, never how fast.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchyard.catalog import RouterConfig
from tests.router.harness import Router, run_router

GENEROUS = 20.0  # seconds a socket waits before the test calls the connection "held"
LIMITS = {
    "SWITCHYARD_ROUTER_HEADER_TIMEOUT": "0.5",
    "SWITCHYARD_ROUTER_BODY_TIMEOUT": "0.5",
    "SWITCHYARD_ROUTER_KEEPALIVE_TIMEOUT": "60",
    "SWITCHYARD_ROUTER_MAX_CONNECTIONS": "6",
    "SWITCHYARD_ROUTER_MAX_CONNECTIONS_PER_CLIENT": "4",
    "SWITCHYARD_ROUTER_MAX_BODY_BYTES": "65536",
    "SWITCHYARD_ROUTER_LOG_LEVEL": "DEBUG",
}


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Router]:
    tmp = tmp_path_factory.mktemp("framing")
    with run_router(tmp, RouterConfig().with_revision(), {}, **LIMITS) as r:
        yield r
        assert "Traceback" not in r.logs(), r.logs()[-3000:]


def connect(router: Router, source: str = "127.0.0.1") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", router.port), timeout=GENEROUS,
                                 source_address=(source, 0))  # fmt: skip
    return s


def read_all(s: socket.socket) -> bytes:
    """Everything until the router closes; raises TimeoutError if it never does."""
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def exchange(router: Router, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """One raw request on a fresh connection; the router's answer (connection: close)."""
    with connect(router) as s:
        s.sendall(raw)
        data = read_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def post(path: str, body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return (f"POST {path} HTTP/1.1\r\nHost: r\r\nConnection: close\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip


def metric(router: Router, name: str, label: str) -> float:
    found = re.search(rf'^{name}_total\{{[a-z_]+="{label}"\}} (\S+)$', router.metrics(), re.M)
    return float(found.group(1)) if found else 0.0


def test_a_partial_request_head_is_closed(router: Router) -> None:
    before = metric(router, "switchyard_slow_clients", "header")
    with connect(router) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\nContent-Le")
        assert read_all(s) == b""  # closed, no answer
    assert metric(router, "switchyard_slow_clients", "header") == before + 1


def test_a_silent_connection_is_closed(router: Router) -> None:
    with connect(router) as s:
        assert read_all(s) == b""


def test_a_half_sent_body_gets_408_and_the_connection_closed(router: Router) -> None:
    with connect(router) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\nContent-Length: 500\r\n"
                  b"\r\n{\"model\": ")  # fmt: skip
        data = read_all(s)
    assert data.startswith(b"HTTP/1.1 408 "), data[:200]
    body = json.loads(data.partition(b"\r\n\r\n")[2])
    assert body["error"]["code"] == "RequestTimeout"


def test_a_kept_alive_connection_that_starts_a_head_and_stalls_is_closed(router: Router) -> None:
    with connect(router) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n")
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        s.sendall(b"GET /heal")
        assert read_all(s) == b""


def _wait_served(router: Router) -> None:
    """Until a fresh connection is served again (the router saw earlier sockets close)."""
    deadline = time.monotonic() + GENEROUS
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError, IndexError):
            if (
                exchange(router, b"GET /healthz HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")[
                    0
                ]
                == 200
            ):
                return
        time.sleep(0.05)
    raise AssertionError("the router did not serve new connections again")


def _held(router: Router, source: str) -> socket.socket:
    """A kept-alive connection that finished one request (idle, so no head clock runs)."""
    s = connect(router, source)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n")
    assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
    return s


def test_connections_are_capped_per_client_address_and_in_total(router: Router) -> None:
    _wait_served(router)
    per_client = metric(router, "switchyard_connections_refused", "per_client")
    total = metric(router, "switchyard_connections_refused", "total")
    held = [_held(router, "127.0.0.1") for _ in range(4)]
    try:
        with connect(router, "127.0.0.1") as extra:  # a fifth from the same address
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n")
            assert read_all(extra) == b""
        held += [_held(router, "127.0.0.2") for _ in range(2)]  # six open: the total cap
        with connect(router, "127.0.0.3") as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n")
            assert read_all(extra) == b""
    finally:
        for s in held:
            s.close()
    _wait_served(router)  # closing frees the slots
    assert metric(router, "switchyard_connections_refused", "per_client") == per_client + 1
    assert metric(router, "switchyard_connections_refused", "total") == total + 1


def test_an_undecodable_gzip_body_is_a_400(router: Router) -> None:
    status, _, body = exchange(router, post("/v1/chat/completions", b"not gzip at all",
                                            "Content-Encoding: gzip"))  # fmt: skip
    assert status == 400
    assert "could not be decoded" in json.loads(body)["error"]["message"]


def test_an_unsupported_content_encoding_is_refused(router: Router) -> None:
    status, _, body = exchange(router, post("/v1/messages", b"x", "Content-Encoding: compress"))
    assert status == 415
    assert json.loads(body)["type"] == "error"  # Anthropic's shape on /v1/messages


def test_the_body_limit_holds_for_the_decoded_body(router: Router) -> None:
    bomb = gzip.compress(b'{"model": "' + b"a" * 1_000_000 + b'"}')
    assert len(bomb) < 65536
    status, _, body = exchange(router, post("/v1/chat/completions", bomb, "Content-Encoding: gzip"))
    assert status == 413, body
    small = gzip.compress(b'{"model": "no-such-group", "messages": []}')
    status, _, body = exchange(
        router, post("/v1/chat/completions", small, "Content-Encoding: gzip")
    )
    assert status == 404 and b"no-such-group" in body  # decoded and routed


@pytest.mark.parametrize("depth", [101, 500, 5000])
def test_json_nested_too_deep_is_a_400(router: Router, depth: int) -> None:
    deep = b'{"model": "g", "x": ' + b"[" * depth + b"]" * depth + b"}"
    status, _, body = exchange(router, post("/v1/responses", deep))
    assert status == 400, body
    assert "nests deeper than 100" in json.loads(body)["error"]["message"]


def test_json_within_the_depth_limit_passes_framing(router: Router) -> None:
    ok = b'{"model": "g", "x": ' + b"[" * 90 + b"]" * 90 + b"}"
    status, _, body = exchange(router, post("/v1/chat/completions", ok))
    assert status == 404 and b"does not exist" in body  # routing's answer, not framing's


@pytest.mark.parametrize(
    ("method", "path", "status", "anthropic"),
    [
        ("GET", "/v1/nope", 404, False),
        ("POST", "/v2/chat/completions", 404, False),
        ("GET", "/v1/chat/completions", 405, False),
        ("PUT", "/v1/messages", 405, True),
        ("DELETE", "/v1/responses", 405, False),
    ],
)
def test_unknown_routes_and_methods_answer_json(
    router: Router, method: str, path: str, status: int, anthropic: bool
) -> None:
    r = httpx.request(method, router.url + path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    if anthropic:
        assert body["type"] == "error" and body["error"]["type"]
    else:
        assert body["error"]["code"] in ("NotFound", "MethodNotAllowed")
    if status == 405:
        assert r.headers["allow"] == "POST"


def test_malformed_http_is_a_json_400_without_a_traceback(router: Router) -> None:
    status, _, body = exchange(router, b"GARBAGE\x00\x01 / HTTP/1.1\r\n\r\n")
    assert status == 400
    assert json.loads(body)["error"]["code"] == "BadRequest"
    status, _, _ = exchange(
        router, b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: x\r\n\r\n"
    )
    assert status == 400


def test_a_client_abort_mid_body_is_one_line_and_a_metric(router: Router) -> None:
    before = metric(router, "switchyard_client_aborts", "body")
    lines_before = router.logs().count("went away during the body")
    with connect(router) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\nContent-Length: 900\r\n"
                  b"\r\n{\"model\": ")  # fmt: skip
        time.sleep(0.05)  # let the router start reading the body (not an assertion)
    router.wait_metric(rf'switchyard_client_aborts_total\{{stage="body"\}} {before + 1}')
    assert router.logs().count("went away during the body") == lines_before + 1


def test_the_router_still_serves_after_all_of_it(router: Router, tmp_path: Path) -> None:
    _wait_served(router)
    assert httpx.get(router.url + "/readyz").json()["status"] == "ready"


def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path) -> None:
    env = {**LIMITS, "SWITCHYARD_ROUTER_KEEPALIVE_TIMEOUT": "0.5"}
    with run_router(tmp_path, RouterConfig().with_revision(), {}, **env) as r, connect(r) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
        assert read_all(s) == b""  # nothing more is sent: the idle connection is closed


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "many"])
def test_client_limits_refuse_nonsense_settings(tmp_path: Path, value: str) -> None:
    config = tmp_path / "router.json"
    config.write_text(RouterConfig().with_revision().to_json())
    env = {**os.environ, "SWITCHYARD_ROUTER_HEADER_TIMEOUT": value,
           "SWITCHYARD_ROUTER_MAX_CONNECTIONS": value}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "router", "--config", str(config), "--port", "0"],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("switchyard router: invalid settings: ")
    assert "header_timeout" in line and "max_connections" in line
