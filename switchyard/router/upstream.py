"""Talking to providers: one request, no redirects, failures reduced to sanitized classes.

At most ``wire.PEEK_BYTES`` of an error body are read, only for ``wire.classify``; they are
never logged, stored or returned.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from switchyard.catalog import ErrorClass, SwitchyardError
from switchyard.wire import PEEK_BYTES, classify, request_headers, retry_after

from .config import TargetView

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
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return ErrorClass.TIMEOUT
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerDisconnectedError):
        return ErrorClass.CONNECT_ERROR
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorClass.UPSTREAM_ERROR
    return ErrorClass.CONNECT_ERROR


@dataclass(slots=True)  # (not frozen: a frozen __init__ costs twice as much, per request)
class Call:
    url: str
    headers: CIMultiDict[str]
    body: bytes


# Parsed upstream URLs: as many as the config has endpoints; dropped whole if that ever grows
MAX_URLS = 4096
_URLS: dict[str, URL] = {}


def _url(text: str) -> URL:
    """`text` as sent (encoded: a signed path must not change), parsed once."""
    found = _URLS.get(text)
    if found is None:
        if len(_URLS) >= MAX_URLS:
            _URLS.clear()
        found = _URLS[text] = URL(text, encoded=True)
    return found


def build_call(
    target: TargetView, path: str, body: bytes, provider_headers: dict[str, str],
    forwarded: dict[str, str], stream: bool,
) -> Call:  # fmt: skip
    """Headers are built from scratch: the caller's credentials never travel upstream."""
    headers: CIMultiDict[str] = CIMultiDict(forwarded)
    headers.update(request_headers(provider_headers, stream))
    return Call(target.provider.base_url.rstrip("/") + path, headers, body)


async def send(session: aiohttp.ClientSession, call: Call) -> aiohttp.ClientResponse:
    """POST and wait for a 2xx response head; raise UpstreamError otherwise."""
    try:
        # sent as built: a signed path (Bedrock's percent-encoded model ids) must not change
        resp = await session.post(
            _url(call.url), data=call.body, headers=call.headers,
            allow_redirects=False,
        )  # fmt: skip
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise UpstreamError(exception_class(exc)) from None
    if resp.status < 300:
        return resp
    try:
        peek = await resp.content.read(PEEK_BYTES)
    except (TimeoutError, aiohttp.ClientError):
        peek = b""
    finally:
        resp.release()
    error_class = classify(resp.status, peek) or ErrorClass.BAD_RESPONSE
    raise UpstreamError(error_class, retry_after(resp.headers.get("Retry-After")))
