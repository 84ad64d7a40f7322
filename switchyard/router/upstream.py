"""Talking to providers: one request, no redirects, failures reduced to sanitized classes.

The upstream body of an error is read only to tell an entitlement-shaped 403 from a generic
one; it is never logged, stored or returned.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict

from switchyard.catalog import ErrorClass

from .config import TargetView

ENTITLEMENT = re.compile(
    rb"entitle|subscription|not available on your plan|upgrade your plan|does not have access|"
    rb"not have access to (this|the) model|billing|quota",
    re.IGNORECASE,
)
FALLBACK_CLASSES = frozenset(
    {
        ErrorClass.CONNECT_ERROR,
        ErrorClass.TIMEOUT,
        ErrorClass.RATE_LIMITED,
        ErrorClass.UPSTREAM_ERROR,
        # A provider's own credentials or entitlement failing says nothing about the request.
        ErrorClass.AUTH_FAILED,
        ErrorClass.ENTITLEMENT,
        ErrorClass.FORBIDDEN,
        ErrorClass.MODEL_NOT_FOUND,
    }
)
MAX_ERROR_PEEK = 4096


class UpstreamError(Exception):
    """An attempt that failed before any byte reached the caller."""

    def __init__(self, error_class: ErrorClass, retry_after: float | None = None) -> None:
        super().__init__(error_class.value)
        self.error_class = error_class
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.error_class in FALLBACK_CLASSES


def classify(status: int, body: bytes) -> ErrorClass:
    if status == 401:
        return ErrorClass.AUTH_FAILED
    if status == 403:
        return ErrorClass.ENTITLEMENT if ENTITLEMENT.search(body) else ErrorClass.FORBIDDEN
    if status == 404:
        return ErrorClass.MODEL_NOT_FOUND
    if status == 408:
        return ErrorClass.TIMEOUT
    if status == 429:
        return ErrorClass.RATE_LIMITED
    if status >= 500:
        return ErrorClass.UPSTREAM_ERROR
    if 300 <= status < 400:
        return ErrorClass.BAD_RESPONSE  # redirects are never followed
    return ErrorClass.BAD_REQUEST


def retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: treated as absent


def exception_class(exc: BaseException) -> ErrorClass:
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return ErrorClass.TIMEOUT
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerDisconnectedError):
        return ErrorClass.CONNECT_ERROR
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorClass.UPSTREAM_ERROR
    return ErrorClass.CONNECT_ERROR


@dataclass(frozen=True)
class Call:
    url: str
    headers: CIMultiDict[str]
    body: bytes


def build_call(
    target: TargetView, path: str, body: bytes, provider_headers: dict[str, str],
    forwarded: dict[str, str],
) -> Call:  # fmt: skip
    """Headers are built from scratch: the caller's credentials never travel upstream."""
    headers: CIMultiDict[str] = CIMultiDict(forwarded)
    headers.update(provider_headers)
    headers["Content-Type"] = "application/json"
    return Call(target.provider.base_url.rstrip("/") + path, headers, body)


async def send(session: aiohttp.ClientSession, call: Call) -> aiohttp.ClientResponse:
    """POST and wait for a 2xx response head; raise UpstreamError otherwise."""
    try:
        resp = await session.post(
            call.url, data=call.body, headers=call.headers, allow_redirects=False
        )
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise UpstreamError(exception_class(exc)) from None
    if resp.status < 300:
        return resp
    try:
        peek = await resp.content.read(MAX_ERROR_PEEK)
    except (TimeoutError, aiohttp.ClientError):
        peek = b""
    finally:
        resp.release()
    raise UpstreamError(classify(resp.status, peek), retry_after(resp.headers.get("Retry-After")))
