"""The google dialect's wire facts: paths, auth, classification, usage meaning, stream reading,
reply shape, error shapes and thinking budgets (0 and -1 included)."""

from __future__ import annotations

import orjson
import pytest

from switchyard.catalog import AuthScheme, Dialect, ErrorClass, ReasoningControl
from switchyard.wire import (
    RequestRefused,
    SSEParser,
    Usage,
    classify,
    error_body,
    google_usage,
    provider_headers,
    reply_ok,
    reply_usage,
    stream_error,
    stream_reader,
    upstream_request,
)
from switchyard.wire.google import gemini_schema
from switchyard.wire.reasoning import read_effort, retarget, translate_effort

BAD_KEY = orjson.dumps(
    {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{"reason": "API_KEY_INVALID", "domain": "googleapis.com"}],
        }
    }
)


def google_error(code: int, status: str, message: str) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message, "status": status}})


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, BAD_KEY, ErrorClass.AUTH_FAILED),
        (
            400,
            google_error(400, "INVALID_ARGUMENT", "API key expired. Please renew the API key."),
            ErrorClass.AUTH_FAILED,
        ),
        (
            400,
            google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."),
            ErrorClass.BAD_REQUEST,
        ),
        (
            400,
            google_error(400, "FAILED_PRECONDITION", "Please enable billing for the project."),
            ErrorClass.ENTITLEMENT,
        ),
        (
            401,
            google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
            ErrorClass.AUTH_FAILED,
        ),
        (
            403,
            google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers"),
            ErrorClass.FORBIDDEN,
        ),
        (404, google_error(404, "NOT_FOUND", "models/x is not found"), ErrorClass.MODEL_NOT_FOUND),
        (
            429,
            google_error(
                429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."
            ),
            ErrorClass.RATE_LIMITED,
        ),
        (
            503,
            google_error(503, "UNAVAILABLE", "The model is overloaded."),
            ErrorClass.UPSTREAM_ERROR,
        ),
    ],
)
def test_google_errors_classify(status: int, body: bytes, expected: ErrorClass) -> None:
    assert classify(status, body) is expected


def test_paths_headers_and_body() -> None:
    body = {"model": "gemini-2.5-flash", "contents": [], "stream": True}
    assert upstream_request(Dialect.GOOGLE, body) == (
        "/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        {"contents": []},
    )
    path, sent = upstream_request(Dialect.GOOGLE, {"model": "models/gemini-pro", "contents": []})
    assert path == "/models/gemini-pro:generateContent" and sent == {"contents": []}
    chat = {"model": "m", "messages": []}
    assert upstream_request(Dialect.OPENAI_CHAT, chat) == ("/chat/completions", chat)
    headers = provider_headers(Dialect.GOOGLE, AuthScheme.X_GOOG_API_KEY, "k")
    assert headers["x-goog-api-key"] == "k" and "Authorization" not in headers


def test_usage_meaning() -> None:
    meta = {
        "promptTokenCount": 100,
        "cachedContentTokenCount": 40,
        "toolUsePromptTokenCount": 5,
        "candidatesTokenCount": 7,
        "thoughtsTokenCount": 11,
        "totalTokenCount": 123,
    }
    # prompt (cache included) + tool-use prompt in; candidates + thoughts out
    assert google_usage(meta) == Usage(105, 18, 40)
    assert google_usage({"promptTokenCount": 3}) == Usage(3, 0, 0)  # an early stream chunk
    assert google_usage({"promptTokenCount": -1}) is None
    assert google_usage({"promptTokenCount": 3, "thoughtsTokenCount": "x"}) is None
    reply = {"candidates": [], "usageMetadata": meta}
    assert reply_usage(Dialect.GOOGLE, reply) == Usage(105, 18, 40)


def test_reply_shape() -> None:
    assert reply_ok(Dialect.GOOGLE, {"candidates": [{"content": {"parts": []}}]})
    assert reply_ok(Dialect.GOOGLE, {"promptFeedback": {"blockReason": "SAFETY"}})
    assert not reply_ok(Dialect.GOOGLE, {"candidates": 5})
    assert not reply_ok(Dialect.GOOGLE, {"choices": []})


def _events(*chunks: object) -> list[object]:
    raw = b"".join(b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in chunks)
    return SSEParser().feed(raw)  # type: ignore[return-value]


def test_stream_reader() -> None:
    text = {
        "candidates": [{"content": {"parts": [{"text": "O"}]}}],
        "usageMetadata": {"promptTokenCount": 9},
    }
    last = {
        "candidates": [{"content": {"parts": [{"text": "K"}]}, "finishReason": "STOP"}],
        "usageMetadata": {
            "promptTokenCount": 9,
            "candidatesTokenCount": 2,
            "thoughtsTokenCount": 3,
        },
    }
    reader = stream_reader(Dialect.GOOGLE)
    for event in _events(text, last):
        reader.observe(event)  # type: ignore[arg-type]
    assert reader.finished and not reader.failed and not reader.malformed
    assert reader.usage == Usage(9, 5, 0)
    cut = stream_reader(Dialect.GOOGLE)
    cut.observe(_events(text)[0])  # type: ignore[arg-type]
    assert not cut.finished  # no finishReason: the stream was cut short
    broken = stream_reader(Dialect.GOOGLE)
    for event in SSEParser().feed(b'data: {"candidates": 5}\n\n'):
        broken.observe(event)
    assert broken.malformed
    failed = stream_reader(Dialect.GOOGLE)
    failed.observe(SSEParser().feed(stream_error(Dialect.GOOGLE, ErrorClass.TIMEOUT, "m"))[0])
    assert failed.failed


def test_error_shapes() -> None:
    assert error_body(Dialect.GOOGLE, ErrorClass.RATE_LIMITED, "m") == {
        "error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}
    }
    assert (
        error_body(Dialect.GOOGLE, ErrorClass.AUTH_FAILED, "m")["error"]["status"] == "UNAVAILABLE"
    )
    assert error_body(Dialect.GOOGLE, ErrorClass.TIMEOUT, "m")["error"]["status"] == (
        "DEADLINE_EXCEEDED"
    )


@pytest.mark.parametrize(
    ("value", "budget"),
    [
        ("none", 0),
        (0, 0),
        (-1, -1),
        ("minimal", 1024),
        ("medium", 8192),
        (3000, 3000),
        ("xhigh", 32768),
        (99999, 32768),
    ],
)
def test_gemini_budgets(value: str | int, budget: int) -> None:
    fragment = translate_effort(value, "gemini-budget", Dialect.GOOGLE)
    assert fragment == {"generationConfig": {"thinkingConfig": {"thinkingBudget": budget}}}
    # the same budget on Gemini's OpenAI-compatible endpoint
    chat = translate_effort(value, "gemini-budget", Dialect.OPENAI_CHAT)
    assert chat == {"extra_body": {"google": {"thinking_config": {"thinking_budget": budget}}}}


def test_reading_google_reasoning() -> None:
    def body(thinking: object) -> dict[str, object]:
        return {"generationConfig": {"maxOutputTokens": 9, "thinkingConfig": thinking}}

    assert read_effort(Dialect.GOOGLE, body({"thinkingBudget": 0})) == 0
    assert read_effort(Dialect.GOOGLE, body({"thinkingBudget": -1})) == -1
    assert read_effort(Dialect.GOOGLE, body({"thinkingLevel": "HIGH"})) == "high"
    assert read_effort(Dialect.GOOGLE, {"contents": []}) is None
    with pytest.raises(RequestRefused):
        read_effort(Dialect.GOOGLE, body({"thinkingBudget": True}))
    native = body({"thinkingBudget": -1})
    assert retarget(Dialect.GOOGLE, native, ReasoningControl.GEMINI_BUDGET.value) is native
    with pytest.raises(RequestRefused, match="cannot be written on google"):
        translate_effort("low", "openai-effort", Dialect.GOOGLE)


def test_schema_form() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"], "description": "d"},
            "b": {"type": "array", "items": {"type": "integer"}},
            "c": {"const": "x"},
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    assert gemini_schema(schema) == {
        "type": "OBJECT",
        "properties": {
            "a": {"nullable": True, "type": "STRING", "description": "d"},
            "b": {"type": "ARRAY", "items": {"type": "INTEGER"}},
            "c": {"enum": ["x"]},
        },
        "required": ["a"],
    }


def test_output_cap_lives_in_generation_config() -> None:
    from switchyard.wire import output_cap

    assert output_cap(Dialect.GOOGLE, {"generationConfig": {"maxOutputTokens": 7}}) == 7
    assert output_cap(Dialect.GOOGLE, {"maxOutputTokens": 7}) is None
    assert output_cap(Dialect.GOOGLE, {"generationConfig": {"maxOutputTokens": 0}}) is None
