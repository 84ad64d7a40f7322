"""Access classification: every safe class from real-shaped statuses, bodies and failures."""

from __future__ import annotations

import httpx
import pytest

from switchyard.catalog import ErrorClass
from switchyard.smoke import classify_exception, classify_status

OPENAI_ENTITLEMENT = {
    "error": {
        "message": "Your account is not entitled to use this model on its current plan.",
        "type": "permission_denied",
        "code": "entitlement_required",
    }
}
ANTHROPIC_FORBIDDEN = {
    "type": "error",
    "error": {"type": "permission_error", "message": "Forbidden."},
}
OPENAI_NO_MODEL = {
    "error": {"message": "The model `x` does not exist.", "type": "invalid_request_error",
              "code": "model_not_found"}
}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, None, None),
        (401, {"error": {"message": "Incorrect API key provided."}}, ErrorClass.AUTH_FAILED),
        (403, OPENAI_ENTITLEMENT, ErrorClass.ENTITLEMENT),
        (403, "Your subscription does not include this model", ErrorClass.ENTITLEMENT),
        (402, None, ErrorClass.ENTITLEMENT),
        (403, ANTHROPIC_FORBIDDEN, ErrorClass.FORBIDDEN),
        (403, None, ErrorClass.FORBIDDEN),
        (404, OPENAI_NO_MODEL, ErrorClass.MODEL_NOT_FOUND),
        (404, {"type": "error", "error": {"type": "not_found_error", "message": "model: x"}},
         ErrorClass.MODEL_NOT_FOUND),
        (404, {"error": {"message": "unknown path"}}, ErrorClass.BAD_REQUEST),
        (408, None, ErrorClass.TIMEOUT),
        (429, None, ErrorClass.RATE_LIMITED),
        (500, None, ErrorClass.UPSTREAM_ERROR),
        (503, None, ErrorClass.UPSTREAM_ERROR),
        (400, None, ErrorClass.BAD_REQUEST),
    ],
)  # fmt: skip
def test_status_classes(status: int, body: object, expected: ErrorClass | None) -> None:
    assert classify_status(status, body) is expected


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
