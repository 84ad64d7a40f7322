"""The fake upstream's aiohttp app: serves the three dialects under any base path and records
what it received so tests can check what the router sent upstream.

Control endpoints (not part of any real API):

* ``GET /_mock/requests[?model=M&limit=N]`` -> ``{"total", "byModel", "byDialect", "requests",
  "last"}``; each request record has ``path, dialect, model, stream, headers, body, status,
  responseId`` (the id the fake answered with).
* ``DELETE /_mock/requests`` forgets records and failure counters.
* ``PUT /_mock/scenario`` replaces the scenario (JSON body; 400 names the bad field).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter, deque
from typing import Any

import orjson
from aiohttp import web

from .cloud import (
    BEDROCK,
    GOOGLE_TOKEN_AUDIENCE,
    VERTEX,
    Refusal,
    TokenIssuer,
    bedrock_body,
    bedrock_frames,
    verify_sigv4,
    verify_vertex,
    vertex_anthropic_body,
)
from .media import MediaError
from .scenario import Behaviour, Scenario, ScenarioError, parse_scenario
from .script import scripted, tool_results
from .simulate import UnsupportedError, answer
from .wire_anthropic import AnthropicWire
from .wire_base import Wire
from .wire_chat import ChatWire
from .wire_google import UNREGISTERED, GoogleRequestError, GoogleWire, check, route
from .wire_responses import ResponsesWire

GOOGLE = GoogleWire()
WIRES: tuple[Wire, ...] = (ChatWire(), ResponsesWire(), AnthropicWire(), GOOGLE)
KEEP_REQUESTS = 200
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


class MockState:
    """Scenario plus what was received; one per app."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.recent: deque[dict[str, Any]] = deque(maxlen=KEEP_REQUESTS)
        self.total = 0
        self.by_model: Counter[str] = Counter()
        self.by_dialect: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.issuer = TokenIssuer()  # Vertex: the OAuth tokens /token issued
        self.broken_streams: Counter[str] = Counter()

    def reset(self) -> None:
        self.recent.clear()
        self.total = 0
        for counter in (self.by_model, self.by_dialect, self.failures, self.broken_streams):
            counter.clear()


STATE = web.AppKey("mock_state", MockState)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


def _wire_for(path: str) -> Wire | None:
    vertex = VERTEX.search(path)
    if BEDROCK.search(path) or (vertex is not None and vertex["publisher"] == "anthropic"):
        return WIRES[2]  # Anthropic Messages on Bedrock or Vertex AI
    if route(path) is not None:
        return GOOGLE
    return next((w for w in WIRES if path.endswith(w.suffix)), None)


def _key_of(request: web.Request, wire: Wire, where: str | None) -> str | None:
    if where == "x-goog-api-key" or (where is None and wire is GOOGLE):
        return request.headers.get("x-goog-api-key") or request.query.get("key")
    if where == "x-api-key" or (where is None and wire is WIRES[2]):
        return request.headers.get("x-api-key")
    auth = request.headers.get("Authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def _due(counter: Counter[str], model: str, times: int | None) -> bool:
    """True while a limited failure still has occurrences left (and counts this one)."""
    if times is not None and counter[model] >= times:
        return False
    counter[model] += 1
    return True


def _cut_off(frame: bytes) -> bytes:
    """``frame`` with its JSON cut in half: a truncated event, as a broken upstream sends it."""
    head, _, data = frame.partition(b"data: ")
    return head + b"data: " + data[: max(1, len(data) // 2)].rstrip(b"\n") + b"\n\n"


async def _stream(
    request: web.Request,
    wire: Wire,
    frames: list[bytes],
    b: Behaviour,
    state: MockState,
    model: str,
) -> web.StreamResponse:
    bedrock = request.get("cloud") == "bedrock"
    if bedrock:  # Bedrock streams in the AWS event-stream framing
        frames = bedrock_frames(frames)
    headers = {"Content-Type": "application/vnd.amazon.eventstream"} if bedrock else SSE_HEADERS
    resp = web.StreamResponse(headers=headers)
    await resp.prepare(request)
    mid = b.mid_stream
    broken = mid is not None and _due(state.broken_streams, model, mid.times)
    if not broken and not b.event_delay_ms:
        await resp.write(b"".join(frames))
        await resp.write_eof()
        return resp
    # a broken stream never reaches its end, however few events it has (Gemini: one for "OK")
    cut = min(mid.after_events, len(frames) - 1) if mid is not None else -1
    for i, data in enumerate(frames):
        if broken and mid is not None and i == cut:
            if mid.mode == "error":
                error = wire.stream_error("overloaded", "")
                await resp.write(bedrock_frames([error])[0] if bedrock else error)
                await resp.write_eof()
            elif mid.mode == "malformed":
                await resp.write(_cut_off(data))
                await resp.write_eof()
            elif request.transport is not None:
                # A real upstream dies some time after its last event; closing in the same
                # instant lets the peer's reader raise before it hands over bytes it holds.
                await asyncio.sleep(0.05)
                request.transport.close()
            return resp
        if b.event_delay_ms and i:
            await asyncio.sleep(b.event_delay_ms / 1000)
        await resp.write(data)
    await resp.write_eof()
    return resp


async def _serve(
    request: web.Request, wire: Wire, body: dict[str, Any], record: dict[str, Any]
) -> web.StreamResponse:
    state = request.app[STATE]
    model = str(body.get("model", ""))
    b = state.scenario.behaviour(model)

    def fail(
        kind: str, status: int, message: str = "", headers: dict[str, str] | None = None
    ) -> web.Response:
        if wire is GOOGLE:
            status = GOOGLE.status(kind, status)
        record["status"] = status
        return _json(wire.error(kind, message), status, headers)

    if b is None or (b.dialects is not None and wire.dialect not in b.dialects):
        return fail("not_found", 404)
    keyed = b.api_key is not None and not request.get("cloud")  # clouds checked their own auth
    key = _key_of(request, wire, b.key_header) if keyed else None
    if keyed and key is None and wire is GOOGLE:
        return fail("forbidden", 403, UNREGISTERED)  # Google: no key at all is a 403
    if keyed and key != b.api_key:
        return fail("auth", 401)
    if any(request.headers.get(k) != v for k, v in b.required_headers.items()):
        return fail("forbidden", 403, "request blocked by the provider's gateway")
    if b.max_request_bytes is not None and record["bytes"] > b.max_request_bytes:
        return fail("bad_request", 413, "request too large for this model")
    if b.latency_ms:
        await asyncio.sleep(b.latency_ms / 1000)
    f = b.failure
    if f is not None and _due(state.failures, model, f.times):
        headers = {"Retry-After": str(f.retry_after)} if f.retry_after is not None else None
        return fail(f.kind, f.http_status, "", headers)
    if wire is WIRES[2] and not isinstance(body.get("max_tokens"), int):
        return fail("bad_request", 400, "max_tokens: Field required")
    try:
        ask = wire.parse(body)
    except MediaError as exc:  # media the real service cannot decode
        return fail("bad_request", 400, str(exc))
    unsupported = [t for t in ask.hosted if t not in b.hosted_tools]
    if unsupported:
        return fail("bad_request", 400, f"Hosted tool '{unsupported[0]}' is not supported.")
    try:
        results = tool_results(wire.dialect, body) if b.script else []
        reply = scripted(ask, b, results) if b.script else answer(ask, b)
        if b.cached_tokens:
            reply = dataclasses.replace(reply, cached_tokens=b.cached_tokens)
        if ask.hosted:
            reply = dataclasses.replace(reply, hosted_calls=ask.hosted)
    except UnsupportedError as exc:
        return fail("bad_request", 400, str(exc))
    record["status"] = 200
    if ask.stream and b.streaming and wire is GOOGLE and request.query.get("alt") != "sse":
        record["status"] = 200  # without alt=sse Gemini streams one JSON array
        return _json(GOOGLE.chunks(ask, reply))
    if ask.stream and b.streaming:
        frames = wire.stream(ask, reply, body)
        record["responseId"] = _reply_id(frames[0]) if frames else None
        return await _stream(request, wire, frames, b, state, model)
    out = wire.complete(ask, reply, body)
    record["responseId"] = out.get("id")
    if b.malformed_reply is not None:
        return _broken(out, b.malformed_reply)
    return _json(out)


def _broken(out: dict[str, Any], how: str) -> web.Response:
    """A 200 whose JSON a real client could not use (a broken upstream or proxy)."""
    if how == "truncated":
        raw = orjson.dumps(out)
        return web.Response(body=raw[: len(raw) // 2], content_type="application/json")
    if how == "array":
        return _json([out])
    return _json({k: (5 if k in ("choices", "output", "content") else v) for k, v in out.items()})


def _reply_id(first_frame: bytes) -> str | None:
    """The id a stream's first event announces (response.id, message.id or the chunk id)."""
    data_line = next(
        (ln for ln in first_frame.splitlines() if ln.startswith(b"data: ")), b"data: {}"
    )
    data = orjson.loads(data_line[6:])
    inner = data.get("response") or data.get("message") or data
    rid = inner.get("id") if isinstance(inner, dict) else None
    return rid if isinstance(rid, str) else None


def _cloud_path(
    request: web.Request, body: dict[str, Any], raw: bytes
) -> dict[str, Any] | web.Response | None:
    """Bedrock and Vertex paths: their credentials verified, their body rules checked; the body
    as the fake model reads it, the cloud's own refusal, or None for other paths."""
    cloud = request.app[STATE].scenario.cloud
    bedrock, vertex = BEDROCK.search(request.path), VERTEX.search(request.path)
    try:
        if bedrock is not None and cloud.aws is not None:
            request["cloud"] = "bedrock"
            url = f"{request.scheme}://{request.host}{request.raw_path}"
            verify_sigv4(cloud.aws, request.method, url, request.headers, raw)
            stream = bedrock["method"] == "invoke-with-response-stream"
            return bedrock_body(body, bedrock["model"], stream)
        if vertex is not None and cloud.vertex is not None:
            request["cloud"] = "vertex"
            issuer = request.app[STATE].issuer
            verify_vertex(cloud.vertex, issuer, vertex, request.headers.get("Authorization"))
            if vertex["publisher"] == "anthropic":
                return vertex_anthropic_body(body, vertex["model"], vertex["method"])
    except Refusal as refusal:
        return _json(refusal.body, refusal.status, refusal.headers)
    return None


async def handle_token(request: web.Request) -> web.Response:
    """Google's OAuth token endpoint (JWT-bearer grant) for Vertex AI service accounts."""
    state = request.app[STATE]
    vertex = state.scenario.cloud.vertex
    if vertex is None:
        return _json({"error": "invalid_client"}, 400)
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        return _json(state.issuer.issue(vertex, form, GOOGLE_TOKEN_AUDIENCE))
    except Refusal as refusal:
        return _json(refusal.body, refusal.status)


async def handle_expire_tokens(request: web.Request) -> web.Response:
    request.app[STATE].issuer.expire_all()
    return _json({"expired": True})


async def handle_post(request: web.Request) -> web.StreamResponse:
    wire = _wire_for(request.path)
    if wire is None:
        return _json({"error": {"message": "unknown path", "type": "invalid_request_error"}}, 404)
    state = request.app[STATE]
    raw = await request.read()
    try:
        body = orjson.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("body is not an object")
    except ValueError:
        return _json(wire.error("bad_request", "request body is not a JSON object"), 400)
    google = route(request.path)
    received = body
    cloud = _cloud_path(request, body, raw)
    if cloud is not None and not isinstance(cloud, web.Response):
        body = cloud
    record: dict[str, Any] = {
        "at": time.time(),
        "path": request.path,
        "dialect": wire.dialect.value,
        "model": google[0] if google else body.get("model"),
        "stream": google[1] if google else bool(body.get("stream")),
        "platform": request.get("cloud", "direct"),
        "headers": {str(k).lower(): v for k, v in request.headers.items()},
        "body": received,  # what arrived (the model may have come in the path)
        "status": cloud.status if isinstance(cloud, web.Response) else None,
        "bytes": len(raw),
    }
    state.recent.append(record)
    if isinstance(cloud, web.Response):  # the cloud refused it (credentials, body rules)
        return cloud
    state.total += 1
    state.by_model[str(record["model"])] += 1
    state.by_dialect[wire.dialect.value] += 1
    if google is not None:
        try:
            check(body)  # what the real API verifies: unknown fields, roles, parts, schemas
        except GoogleRequestError as exc:
            record["status"] = 400
            return _json(wire.error("bad_request", str(exc)), 400)
        body = {**body, "model": google[0], "stream": google[1]}
    return await _serve(request, wire, body, record)


async def handle_models(request: web.Request) -> web.Response:
    scenario = request.app[STATE].scenario
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "switchyard-mock"}
        for name in scenario.models
    ]
    return _json({"object": "list", "data": data})


async def handle_requests(request: web.Request) -> web.Response:
    state = request.app[STATE]
    model = request.query.get("model")
    try:
        limit = int(request.query.get("limit", KEEP_REQUESTS))
    except ValueError:
        return _json({"error": "limit must be an integer"}, 400)
    rows = [r for r in state.recent if model is None or r["model"] == model][-limit:]
    return _json(
        {
            "total": state.total,
            "byModel": dict(state.by_model),
            "byDialect": dict(state.by_dialect),
            "requests": rows,
            "last": rows[-1] if rows else None,
        }
    )


async def handle_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return _json({"reset": True})


async def handle_scenario(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        state.scenario = parse_scenario(orjson.loads(await request.read()))
    except orjson.JSONDecodeError:
        return _json({"error": "scenario body is not JSON"}, 400)
    except ScenarioError as exc:
        return _json({"error": str(exc)}, 400)
    state.failures.clear()
    state.broken_streams.clear()
    return _json({"ok": True})


async def handle_health(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


def create_app(scenario: Scenario | None = None) -> web.Application:
    """The fake upstream; every dialect is served under any base path (`/v1/...` or bare)."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE] = MockState(scenario or Scenario())
    app.router.add_get("/_mock/requests", handle_requests)
    app.router.add_delete("/_mock/requests", handle_reset)
    app.router.add_put("/_mock/scenario", handle_scenario)
    app.router.add_get("/_mock/health", handle_health)
    app.router.add_post("/_mock/expire-tokens", handle_expire_tokens)
    app.router.add_post("/token", handle_token)
    app.router.add_get("/{tail:.*}models", handle_models)
    app.router.add_post("/{tail:.*}", handle_post)
    return app
