"""One fake upstream and one real router serving every caller dialect natively and through every
bridge, for the request-type, hypothesis and hostile-reply suites; realistic valid bodies per
caller dialect, and helpers to send many requests at once and read the answers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson

from switchyard.catalog import Dialect
from tests.router.harness import (
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_mock,
    run_router,
)

CHAT, RESP, ANTH, GOOG = (
    Dialect.OPENAI_CHAT,
    Dialect.OPENAI_RESPONSES,
    Dialect.ANTHROPIC,
    Dialect.GOOGLE,
)
# upstream name -> (dialect, bridges its models offer, reasoning control proven, auth scheme)
UPSTREAMS: dict[str, tuple[Dialect, list[str], str, str]] = {
    "chat": (CHAT, ["responsesToChat", "messagesToChat"], "openai-effort", "bearer"),
    "resp": (RESP, ["chatToResponses"], "openai-effort", "bearer"),
    "anth": (ANTH, ["chatToMessages"], "anthropic-budget", "x-api-key"),
    "gem": (GOOG, ["chatToGoogle"], "gemini-budget", "x-goog-api-key"),
}
# every (caller dialect, upstream) pair the router serves: natively or through a bridge
ROUTES: list[tuple[Dialect, str]] = [
    (CHAT, "chat"),
    (CHAT, "resp"),
    (CHAT, "anth"),
    (CHAT, "gem"),
    (RESP, "resp"),
    (RESP, "chat"),
    (ANTH, "anth"),
    (ANTH, "chat"),
    (GOOG, "gem"),
]
# the reference models every upstream serves: "m" is healthy, "r-*" answer broken replies and
# "e-*" broken stream events (switchyard.testing.broken)
HARD = ("truncated", "array", "scalar", "wrong-types")  # no reply at all: always BadResponse
SOFT = ("deep-types", "usage-types", "negative-usage")  # parseable: served or BadResponse
ENDING = ("malformed", "array", "scalar")  # stream events after which nothing can follow
MODELS: dict[str, dict[str, Any]] = {
    "m": {},
    **{f"r-{how}": {"malformedReply": how} for how in (*HARD, *SOFT)},
    **{f"e-{how}": {"midStream": {"afterEvents": 2, "mode": how}} for how in (*ENDING, *SOFT)},
}
CALLER = "sk-caller-hostile-1"
IMAGE = "iVBORw0KGgoAAAANSUhEUg=="
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def model_id(upstream: str, ref: str) -> str:
    return f"{upstream}-{ref}"


def group_name(upstream: str, ref: str = "m") -> str:
    return f"g-{upstream}-{ref}"


def fallback_group(upstream: str, ref: str) -> str:
    return f"fb-{upstream}-{ref}"


@dataclass
class Stack:
    mock: Mock
    router: Router

    def url(self, dialect: Dialect, group: str, stream: bool = False) -> str:
        if dialect is GOOG:
            method = "streamGenerateContent?alt=sse" if stream else "generateContent"
            return f"{self.router.v1}/models/{group}:{method}"
        return (
            self.router.v1
            + {
                CHAT: "/chat/completions",
                RESP: "/responses",
                ANTH: "/messages",
            }[dialect]
        )

    def upstream_requests(self) -> int:
        """Requests the fake upstream received (every attempt the router made)."""
        by_model: dict[str, int] = httpx.get(f"{self.mock.url}/_mock/requests").json()["byModel"]
        return sum(by_model.values())


@contextlib.contextmanager
def run_stack(
    tmp: Path, models: dict[str, dict[str, Any]] | None = None, fallback: bool = False
) -> Iterator[Stack]:
    """The router with one group per (upstream, reference model); ``models`` maps a reference
    model to its fake-upstream behaviour (every upstream serves every reference model). With
    ``fallback``, also a group ``fallback_group(upstream, ref)`` per model other than ``m``: that
    model first, the healthy ``m`` as the fallback."""
    behaviours = models or {"m": {}}
    with run_mock() as mock:
        served = {model_id(up, ref): b for up in UPSTREAMS for ref, b in behaviours.items() if b}
        mock.scenario({"defaults": {"apiKey": PROVIDER_KEY}, "models": served})
        providers, runs, groups = [], [], []
        for up, (dialect, bridges, control, auth) in UPSTREAMS.items():
            base = mock.url + ("/v1beta" if dialect is GOOG else "/v1")
            refs = {ref: model_id(up, ref) for ref in behaviours}
            p = provider(up, base, dialect, models=refs, bridges=bridges, auth=auth)
            providers.append(p)
            runs += [evidence(p, ref, reasoning=control) for ref in refs]
            # restricted: a bridge then serves what the upstream model proved directly
            groups += [
                G(group_name(up, ref), [T(up, ref)], restricted=True, max_attempts=1)
                for ref in refs
            ]
            if fallback:
                groups += [
                    G(fallback_group(up, ref), [T(up, ref, weight=1000), T(up, "m", weight=1)],
                      restricted=True, max_attempts=2)
                    for ref in refs if ref != "m"
                ]  # fmt: skip
        config = build(providers, groups, runs)
        secrets = provider_keys(*UPSTREAMS)
        for g in groups:
            secrets[f"{g.name}-callers"] = {"c": CALLER}
        with run_router(tmp, config, secrets) as router:
            yield Stack(mock, router)
            assert "Traceback" not in router.logs(), router.logs()[-4000:]


# ----------------------------------------------------------------- realistic valid bodies

_CHAT: dict[str, Any] = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/png;base64,{IMAGE}", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": "Let me check the weather.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "user", "content": "Thanks"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {"name": "get_weather", "description": "Weather", "parameters": WEATHER},
        }
    ],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": True,
    "max_tokens": 200,
    "temperature": 0.5,
    "top_p": 0.9,
    "stream": False,
}
_RESPONSES: dict[str, Any] = {
    "instructions": "Be brief.",
    "input": [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is in this image?"},
                {
                    "type": "input_image",
                    "image_url": f"data:image/png;base64,{IMAGE}",
                    "detail": "low",
                },
            ],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {"type": "message", "role": "user", "content": "Thanks"},
    ],
    "tools": [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather",
            "parameters": WEATHER,
            "strict": False,
        }
    ],
    "tool_choice": "auto",
    "text": {"format": {"type": "text"}},
    "reasoning": {"effort": "low"},
    "max_output_tokens": 200,
    "temperature": 0.5,
    "stream": False,
}
_MESSAGES: dict[str, Any] = {
    "max_tokens": 200,
    "system": [{"type": "text", "text": "Be brief."}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": IMAGE},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"a": 1}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ],
    "tools": [{"name": "get_weather", "description": "Weather", "input_schema": WEATHER}],
    "tool_choice": {"type": "auto"},
    "stop_sequences": ["END"],
    "temperature": 0.5,
    "stream": False,
}
_GOOGLE: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "contents": [
        {
            "role": "user",
            "parts": [
                {"text": "What is in this image?"},
                {"inlineData": {"mimeType": "image/png", "data": IMAGE}},
            ],
        },
        {"role": "model", "parts": [{"text": "Let me look."}]},
        {"role": "user", "parts": [{"text": "Thanks"}]},
    ],
    "tools": [
        {
            "functionDeclarations": [
                {"name": "get_weather", "description": "Weather", "parameters": WEATHER}
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {
        "maxOutputTokens": 200,
        "temperature": 0.5,
        "topP": 0.9,
        "stopSequences": ["END"],
    },
}
BODIES: dict[Dialect, dict[str, Any]] = {
    CHAT: _CHAT,
    RESP: _RESPONSES,
    ANTH: _MESSAGES,
    GOOG: _GOOGLE,
}


def valid_body(dialect: Dialect, group: str, stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(orjson.dumps(BODIES[dialect]))
    if dialect is not GOOG:
        body = {"model": group, **body, "stream": stream}
        if dialect is CHAT and stream:
            body["stream_options"] = {"include_usage": True}
    return body


# ----------------------------------------------------------------- answers


def error_message(dialect: Dialect, data: Any) -> str | None:
    """The message of an error body in ``dialect``'s own shape, or None if it is not one."""
    if not isinstance(data, dict):
        return None
    if dialect is ANTH:
        error = data.get("error") if data.get("type") == "error" else None
        keys = {"type", "message"}
    elif dialect is GOOG:
        error = data.get("error")
        keys = {"code", "message", "status"}
    else:
        error = data.get("error")
        keys = {"message", "type", "param", "code"}
    if not isinstance(error, dict) or not keys <= error.keys():
        return None
    message = error.get("message")
    return message if isinstance(message, str) else None


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None


async def send_all(requests: list[tuple[Any, ...]], concurrency: int = 16) -> list[Answer]:
    """POST every (url, body[, headers]) with ``concurrency`` in flight; answers in the same
    order. A body that is ``bytes`` is sent as it is, anything else as JSON."""
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {CALLER}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(url: str, body: Any, extra: dict[str, str] | None = None) -> Answer:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            sent = {**headers, **(extra or {})}
            async with gate, session.post(url, data=data, headers=sent) as r:
                return Answer(r.status, await r.read(), dict(r.headers))

        return await asyncio.gather(*(one(*request) for request in requests))
