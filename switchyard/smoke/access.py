"""Access classification: an HTTP status or a transport failure -> a sanitized ErrorClass.

Upstream bodies are read here only to tell an entitlement 403 from a generic one and a
model-access 404 from a missing endpoint; they never leave this module.
"""

from __future__ import annotations

from typing import Any

import httpx

from switchyard.catalog import ErrorClass

# Words an entitlement-shaped refusal uses: the account may not use this model or product.
_ENTITLEMENT_MARKERS = (
    "entitle",
    "subscription",
    "billing",
    "plan",
    "tier",
    "upgrade",
    "not enabled",
    "not available for your",
    "payment",
    "purchase",
    "quota",
    "credit",
)
_MODEL_MARKERS = ("model",)


def _error_words(body: Any) -> str:
    """The code/type/message fields of an error body, lower-cased; the rest is ignored."""
    parts: list[str] = []
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("code", "type", "message", "status"):
                value = err.get(key)
                if isinstance(value, str):
                    parts.append(value)
        elif isinstance(err, str):
            parts.append(err)
        for key in ("message", "detail"):
            value = body.get(key)
            if isinstance(value, str):
                parts.append(value)
    elif isinstance(body, str):
        parts.append(body[:2048])
    return " ".join(parts).lower()


def classify_status(status: int, body: Any = None) -> ErrorClass | None:
    """None for a success; otherwise the safe class of a non-2xx answer."""
    if 200 <= status < 300:
        return None
    words = _error_words(body)
    if status == 401:
        return ErrorClass.AUTH_FAILED
    if status == 402:
        return ErrorClass.ENTITLEMENT
    if status == 403:
        if any(m in words for m in _ENTITLEMENT_MARKERS):
            return ErrorClass.ENTITLEMENT
        return ErrorClass.FORBIDDEN
    if status == 404:
        # A model-access 404 names the model; a bare 404 is a path this skin does not serve.
        if any(m in words for m in _MODEL_MARKERS):
            return ErrorClass.MODEL_NOT_FOUND
        return ErrorClass.BAD_REQUEST
    if status == 408:
        return ErrorClass.TIMEOUT
    if status == 429:
        return ErrorClass.RATE_LIMITED
    if status >= 500:
        return ErrorClass.UPSTREAM_ERROR
    return ErrorClass.BAD_REQUEST


def classify_exception(exc: BaseException) -> ErrorClass:
    """The safe class of a transport failure (nothing of the exception text is kept)."""
    if isinstance(exc, httpx.TimeoutException):
        # A connect timeout means nothing answered: that is a connect problem, not a slow model.
        if isinstance(exc, httpx.ConnectTimeout):
            return ErrorClass.CONNECT_ERROR
        return ErrorClass.TIMEOUT
    if isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol | httpx.ProxyError):
        return ErrorClass.CONNECT_ERROR
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return ErrorClass.UPSTREAM_ERROR
    if isinstance(exc, httpx.DecodingError | ValueError):
        return ErrorClass.BAD_RESPONSE
    return ErrorClass.UPSTREAM_ERROR
