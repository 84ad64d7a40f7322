"""Transport classification of the probe's client (statuses: tests/wire/test_classify.py)."""

from __future__ import annotations

import httpx

from switchyard.catalog import ErrorClass
from switchyard.smoke import classify_exception


def test_transport_classes() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/")
    assert classify_exception(httpx.ConnectError("x", request=request)) is ErrorClass.CONNECT_ERROR
    assert classify_exception(httpx.ConnectTimeout("x", request=request)) is (
        ErrorClass.CONNECT_ERROR
    )
    assert classify_exception(httpx.ReadTimeout("x", request=request)) is ErrorClass.TIMEOUT
    assert classify_exception(httpx.RemoteProtocolError("x", request=request)) is (
        ErrorClass.UPSTREAM_ERROR
    )
    assert classify_exception(httpx.DecodingError("x", request=request)) is ErrorClass.BAD_RESPONSE
