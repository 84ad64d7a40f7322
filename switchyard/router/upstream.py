"""Talking to providers: one request, no redirects, failures reduced to sanitized classes.

At most ``wire.PEEK_BYTES`` of an error body are read, only for ``wire.classify``; they are
never logged, stored or returned.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from multidict import CIMultiDict

from switchyard.catalog import ErrorClass, SwitchyardError
from switchyard.wire import PEEK_BYTES, classify, request_headers, retry_after

from .config import TargetView
from .h1 import Pool, Response, UpstreamIOError

FALLBACK_CLASSES = frozenset(
    {
        ErrorClass.CONNECT_ERROR,
        ErrorClass.TIMEOUT,
        ErrorClass.RATE_LIMITED,
        ErrorClass.UPSTREAM_ERROR,
        # An unparseable or wrong-typed reply says the target is broken, not the request.
        ErrorClass.BAD_RESPONSE,
        # A provider's own credentials or entitlement failing says nothing about the request.
        ErrorClass.AUTH_FAILED,
        ErrorClass.ENTITLEMENT,
        ErrorClass.FORBIDDEN,
        ErrorClass.MODEL_NOT_FOUND,
    }
)


class UpstreamError(SwitchyardError):
    """An attempt that failed before any byte reached the caller."""

    def __init__(self, error_class: ErrorClass, retry_after: float | None = None) -> None:
        super().__init__(error_class.value)
        self.error_class = error_class
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.error_class in FALLBACK_CLASSES


def exception_class(exc: BaseException) -> ErrorClass:
    if isinstance(exc, UpstreamIOError):
        return exc.error_class
    if isinstance(exc, asyncio.TimeoutError):
        return ErrorClass.TIMEOUT
    return ErrorClass.CONNECT_ERROR


@dataclass(slots=True)  # (not frozen: a frozen __init__ costs twice as much, per request)
class Call:
    url: str
    headers: CIMultiDict[str]
    body: bytes


def build_call(
    target: TargetView, path: str, body: bytes, provider_headers: dict[str, str],
    forwarded: dict[str, str], stream: bool,
) -> Call:  # fmt: skip
    """Headers are built from scratch: the caller's credentials never travel upstream."""
    headers: CIMultiDict[str] = CIMultiDict(forwarded)
    headers.update(request_headers(provider_headers, stream))
    return Call(target.provider.base_url.rstrip("/") + path, headers, body)


async def send(pool: Pool, call: Call) -> Response:
    """POST and wait for a 2xx response head; raise UpstreamError otherwise."""
    try:
        # sent as built: a signed path (Bedrock's percent-encoded model ids) must not change
        resp = await pool.post(call.url, call.headers, call.body)
    except UpstreamIOError as exc:
        raise UpstreamError(exc.error_class) from None
    if resp.status < 300:
        return resp
    try:
        peek = (await resp.readany())[:PEEK_BYTES]
    except UpstreamIOError:
        peek = b""
    finally:
        resp.release()
    error_class = classify(resp.status, peek) or ErrorClass.BAD_RESPONSE
    raise UpstreamError(error_class, retry_after(resp.headers.get("retry-after")))
