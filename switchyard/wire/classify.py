"""One classification of upstream failures, used by the router and the probes alike.

The table (documented in docs/wire.md):

======  ==========================================================  =================
status  body                                                         class
======  ==========================================================  =================
2xx     --                                                           (none: success)
3xx     -- (redirects are never followed)                            BadResponse
400     credit-balance / billing shaped (Anthropic's "credit         Entitlement
        balance is too low")
400     a rejected key (Google's "API key not valid", API_KEY_...)   AuthFailed
400     anything else; also 409, 413, 422 and other 4xx              BadRequest
401     --                                                           AuthFailed
402     -- (payment required: the account cannot use it)             Entitlement
403     entitlement-shaped (plan, tier, billing, quota, credit ...)  Entitlement
403     anything else                                                Forbidden
404     -- (an unknown model, or this dialect's path not served at   ModelNotFound
        the base URL: either way the target cannot serve it)
408     --                                                           Timeout
429     ``insufficient_quota`` code or type (credits exhausted)      Entitlement
429     anything else                                                RateLimited
5xx     --                                                           UpstreamError
======  ==========================================================  =================

Only the ``code``/``type``/``message``/``status`` fields of an error body are read (or the first
2 KiB of a non-JSON body), only to pick the class; no body text ever leaves this module.
"""

from __future__ import annotations

import math
import re
from typing import Any

import orjson

from switchyard.catalog import ErrorClass

ENTITLEMENT_WORDS = re.compile(
    r"entitle|subscription|billing|\bplans?\b|\btier\b|upgrade|not enabled|"
    r"not available (on|for) your|payment|purchase|quota|credit|does not have access|"
    r"not have access to (this|the) model",
    re.IGNORECASE,
)
CREDIT_WORDS = re.compile(r"credit balance|billing|purchase credits|insufficient_quota", re.I)
# Google answers a bad or expired API key with 400 INVALID_ARGUMENT, not 401.
BAD_KEY_WORDS = re.compile(r"api[ _]key (not valid|not found|expired)|api_key_invalid", re.I)
QUOTA_CODE = "insufficient_quota"
PEEK_BYTES = 4096  # how much of an error body is ever read


def error_words(raw: bytes) -> str:
    """The code/type/message fields of an error body, lower-cased; nothing else of it."""
    try:
        body: Any = orjson.loads(raw)
    except ValueError:
        return raw[:2048].decode("utf-8", errors="replace").lower()
    parts: list[str] = []
    if isinstance(body, list) and body:  # Google-style error lists
        body = body[0]
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            parts.extend(str(err[k]) for k in ("code", "type", "message", "status") if k in err)
        elif isinstance(err, str):
            parts.append(err)
        parts.extend(v for k in ("message", "detail") if isinstance(v := body.get(k), str))
    elif isinstance(body, str):
        parts.append(body[:2048])
    return " ".join(parts)[:4096].lower()


def classify(status: int, body: bytes = b"") -> ErrorClass | None:
    """None for a 2xx; otherwise the safe class of an upstream answer (see the table)."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return ErrorClass.BAD_RESPONSE
    if status >= 500:
        return ErrorClass.UPSTREAM_ERROR
    fixed = _FIXED.get(status)
    if fixed is not None:
        return fixed
    words = error_words(body[:PEEK_BYTES])
    if status == 403:
        return ErrorClass.ENTITLEMENT if ENTITLEMENT_WORDS.search(words) else ErrorClass.FORBIDDEN
    if status == 429:
        return ErrorClass.ENTITLEMENT if QUOTA_CODE in words else ErrorClass.RATE_LIMITED
    if status == 400 and BAD_KEY_WORDS.search(words):
        return ErrorClass.AUTH_FAILED
    if status == 400 and CREDIT_WORDS.search(words):
        return ErrorClass.ENTITLEMENT
    return ErrorClass.BAD_REQUEST


_FIXED: dict[int, ErrorClass] = {
    401: ErrorClass.AUTH_FAILED,
    402: ErrorClass.ENTITLEMENT,
    404: ErrorClass.MODEL_NOT_FOUND,
    408: ErrorClass.TIMEOUT,
}

MAX_RETRY_AFTER = 3600.0  # seconds; a larger (or non-finite) hint is read as this ceiling


def retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` in seconds, within [0, MAX_RETRY_AFTER]; None when absent or a date."""
    if not value:
        return None
    try:
        seconds = float(value.strip()[:32])
    except ValueError:
        return None  # an HTTP date: treated as absent
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
