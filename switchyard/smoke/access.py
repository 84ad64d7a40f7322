"""Transport failures of the probe's HTTP client -> a sanitized ErrorClass.

HTTP statuses and error bodies are classified by ``switchyard.wire.classify`` (the router's
classifier too); this module only maps httpx's exceptions, and keeps nothing of their text.
"""

from __future__ import annotations

import httpx

from switchyard.catalog import ErrorClass


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
