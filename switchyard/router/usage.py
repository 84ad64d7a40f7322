"""Usage rows (one JSON line per request) and cost arithmetic.

Rows carry routing facts and counts only: never prompts, tool schemas, keys or upstream bodies.
"""

from __future__ import annotations

import asyncio
import select
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import IO, Any

import orjson

from switchyard.catalog import Pricing

MILLION = Decimal(1_000_000)


def cost_usd(pricing: Pricing | None, input_tokens: int, output_tokens: int) -> Decimal | None:
    if pricing is None:
        return None
    prices = Decimal(pricing.input_per_million_usd), Decimal(pricing.output_per_million_usd)
    return priced(prices, input_tokens, output_tokens)


def priced(
    prices: tuple[Decimal, Decimal] | None, input_tokens: int, output_tokens: int
) -> Decimal | None:
    """Cost from prices parsed once per target (TargetView.prices)."""
    if prices is None:
        return None
    return (prices[0] * input_tokens + prices[1] * output_tokens) / MILLION


@dataclass
class UsageRow:
    ts: float
    request_id: str
    group: str
    provider: str | None
    model: str | None
    key_id: str | None  # which provider key served it (Provider auth.keyId), never the key
    inbound_skin: str
    target_skin: str | None
    bridge_direction: str | None
    status: int
    error_class: str | None
    latency_ms: int
    ttfb_ms: int | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: str | None
    selected_upstream: str | None
    fallback: bool
    attempts: int
    stream: bool
    upstream_path: str | None = None  # e.g. /chat/completions (the provider endpoint used)
    messages_bucket: str | None = None  # 1, 2-4, 5-16, 17-64, 65+ turns
    tools_bucket: str | None = None  # 0, 1, 2-4, ... tools offered
    has_images: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def whole_rows(rows: list[bytes], limit: int) -> Iterator[bytes]:
    """``rows`` joined into chunks of at most ``limit`` bytes, never splitting a row (a row
    longer than ``limit`` goes alone)."""
    chunk: list[bytes] = []
    size = 0
    for row in rows:
        if chunk and size + len(row) > limit:
            yield b"".join(chunk)
            chunk, size = [], 0
        chunk.append(row)
        size += len(row)
    if chunk:
        yield b"".join(chunk)


class UsageSink:
    """stdout, a file (appended, one line per row), or nowhere.

    A row is written when its request ends, before its response goes out, unless other
    requests are still in flight: then rows wait for the end of the event loop's turn and go
    out in one write (one syscall per turn rather than per request under load). `close`
    writes whatever waits, so no row is lost on shutdown.
    """

    def __init__(self, target: str) -> None:
        self._owned = False
        self._out: IO[bytes] | None
        self._pending: list[bytes] = []
        self._open = 0  # requests begun and not yet written
        if target == "none":
            self._out = None
        elif target == "stdout":
            self._out = sys.stdout.buffer
        else:
            self._out = open(target, "ab", buffering=0)  # noqa: SIM115 - lives as long as the app
            self._owned = True

    @property
    def enabled(self) -> bool:
        return self._out is not None

    def begin(self) -> None:
        """A request that will end in `write` (or `skip`) has started."""
        self._open += 1

    def skip(self) -> None:
        """A begun request ended without a row."""
        self._open -= 1
        if self._open <= 0 and self._pending:
            self.flush()

    def write(self, row: UsageRow) -> None:
        # orjson serializes dataclasses natively, much faster than asdict()
        self.write_fields(row)

    def write_fields(self, row: UsageRow | dict[str, object]) -> None:
        """`write` of a row given as a dict of UsageRow's fields in its order (the request
        path's: building the dataclass first costs more than the row's JSON)."""
        self._open -= 1
        if self._out is None:
            return
        self._pending.append(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        if self._open <= 0:
            self.flush()
        elif len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        if self._out is None or not self._pending:
            return
        rows, self._pending = self._pending, []
        if self._owned:  # an O_APPEND file: one write keeps every row whole
            self._out.write(b"".join(rows))
            return
        # stdout may be a pipe shared by several router workers: only writes of at most
        # PIPE_BUF bytes are atomic there, so a batch goes out in whole rows up to that size
        for chunk in whole_rows(rows, select.PIPE_BUF):
            self._out.write(chunk)
            self._out.flush()

    def close(self) -> None:
        self.flush()
        if self._owned and self._out is not None:
            self._out.close()
