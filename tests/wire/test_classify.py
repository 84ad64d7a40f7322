"""One classification of upstream failures (the router and the probes both use it)."""

from __future__ import annotations

import math

import orjson
import pytest

from switchyard.catalog import ErrorClass
from switchyard.wire import MAX_RETRY_AFTER, classify, retry_after

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
ANTHROPIC_CREDIT = {
    "type": "error",
    "error": {
        "type": "invalid_request_error",
        "message": "Your credit balance is too low to access the Anthropic API. "
        "Please go to Plans & Billing to upgrade or purchase credits.",
    },
}
OPENAI_QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}
OPENAI_NO_MODEL = {
    "error": {"message": "The model `x` does not exist.", "type": "invalid_request_error",
              "code": "model_not_found"}
}  # fmt: skip


def _raw(body: object) -> bytes:
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else orjson.dumps(body)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, None, None),
        (301, None, ErrorClass.BAD_RESPONSE),
        (401, {"error": {"message": "Incorrect API key provided."}}, ErrorClass.AUTH_FAILED),
        (402, None, ErrorClass.ENTITLEMENT),
        (403, OPENAI_ENTITLEMENT, ErrorClass.ENTITLEMENT),
        (403, "Your subscription does not include this model", ErrorClass.ENTITLEMENT),
        (403, ANTHROPIC_CREDIT, ErrorClass.ENTITLEMENT),
        (403, ANTHROPIC_FORBIDDEN, ErrorClass.FORBIDDEN),
        (403, None, ErrorClass.FORBIDDEN),
        (404, OPENAI_NO_MODEL, ErrorClass.MODEL_NOT_FOUND),
        (404, None, ErrorClass.MODEL_NOT_FOUND),  # the dialect's path is not served: same effect
        (404, {"error": {"message": "unknown path"}}, ErrorClass.MODEL_NOT_FOUND),
        (408, None, ErrorClass.TIMEOUT),
        (429, None, ErrorClass.RATE_LIMITED),
        (429, OPENAI_QUOTA, ErrorClass.ENTITLEMENT),
        (429, {"error": {"message": "Rate limit reached for requests"}}, ErrorClass.RATE_LIMITED),
        (400, ANTHROPIC_CREDIT, ErrorClass.ENTITLEMENT),
        (400, None, ErrorClass.BAD_REQUEST),
        (413, None, ErrorClass.BAD_REQUEST),
        (422, {"detail": "bad"}, ErrorClass.BAD_REQUEST),
        (500, None, ErrorClass.UPSTREAM_ERROR),
        (529, None, ErrorClass.UPSTREAM_ERROR),
    ],
)  # fmt: skip
def test_status_classes(status: int, body: object, expected: ErrorClass | None) -> None:
    assert classify(status, _raw(body)) is expected


def test_only_error_fields_are_read() -> None:
    # a prompt echoed elsewhere in the body does not make a 403 look like an entitlement
    body = {"error": {"message": "Forbidden"}, "echo": "upgrade your plan and billing"}
    assert classify(403, orjson.dumps(body)) is ErrorClass.FORBIDDEN


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("3", 3.0), ("-2", 0.0), ("inf", MAX_RETRY_AFTER), ("1e308", MAX_RETRY_AFTER),
     ("nan", None), ("Wed, 21 Oct 2015 07:28:00 GMT", None), ("9" * 400, MAX_RETRY_AFTER)],
)  # fmt: skip
def test_retry_after_is_bounded(header: str | None, expected: float | None) -> None:
    got = retry_after(header)
    assert got == expected
    assert got is None or math.isfinite(got)
