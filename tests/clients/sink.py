"""A loopback HTTP proxy that forwards nothing: it records which host a client tried to reach
(CONNECT target or absolute URL) and answers 403. Clients get it as HTTP(S)_PROXY, so any
request meant for another host ends here instead of leaving the machine."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class Sink:
    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port: int = self._server.getsockname()[1]
        self.attempts: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                head = b""
                with contextlib.suppress(OSError):
                    while b"\r\n" not in head and len(head) < 8192:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        head += chunk
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                parts = line.split(" ")
                with self._lock:
                    self.attempts.append(parts[1] if len(parts) > 1 else line)
                with contextlib.suppress(OSError):
                    conn.sendall(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()


@contextlib.contextmanager
def run_sink() -> Iterator[Sink]:
    sink = Sink()
    sink._thread.start()
    try:
        yield sink
    finally:
        sink.close()
