"""The request path: group -> access -> needs -> eligible targets -> attempts with fallback."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import orjson
from aiohttp import web

from switchyard.catalog import (
    BridgeDirection,
    Dialect,
    Eligibility,
    ErrorClass,
    Platform,
    RequestNeeds,
    estimate_prompt_tokens,
)
from switchyard.cloud import CloudAuthError
from switchyard.wire import (
    ATTEMPTS_HEADER,
    BRIDGE_HEADER,
    PIN_HEADER,
    UPSTREAM_HEADER,
    RequestRefused,
    error_body,
    http_error_body,
    output_cap,
    request_type_problem,
    status_for,
    upstream_message,
    without_storage,
)
from switchyard.wire.platforms import platform_request, stream_accept
from switchyard.wire.reasoning import retarget

from .access import caller_token, confirmation_only, decide
from .bridges import BridgeContext, get_bridge
from .config import GroupView, LoadedConfig, TargetView
from .dialects import ADAPTERS, DialectAdapter
from .exchange import Exchange, RequestShape, attempt_failed, finish, no_eligible, wants_usage
from .relay import Leg, json_reply, stream_reply
from .runtime import RUNTIME, Runtime
from .selection import usable, weighted_order
from .sessions import session_key
from .upstream import UpstreamError, build_call, send


def _error(
    dialect: Dialect, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = orjson.dumps(http_error_body(dialect, status, code, message))
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


@dataclass
class Prepared:
    leg: Leg
    body: dict[str, object]
    path: str
    forwarded: dict[str, str]


@dataclass
class Attempt:
    request: web.Request
    runtime: Runtime
    cfg: LoadedConfig
    view: GroupView
    adapter: DialectAdapter
    body: dict[str, object]
    ex: Exchange
    session_value: str | None
    caller: str

    def _session(self, kind: str) -> str | None:
        if self.session_value is None:
            return None
        return session_key(kind, self.view.group.name, self.caller, self.session_value)

    async def _prepare(self, target: TargetView, verdict: Eligibility) -> Prepared:
        group = self.view.group
        upstream = ADAPTERS[target.provider.dialect]
        headers = {
            UPSTREAM_HEADER: target.key,
            ATTEMPTS_HEADER: str(self.ex.attempts),
        }
        if verdict.bridge is None:
            forwarded = {
                h: self.request.headers[h]
                for h in self.adapter.forward_headers()
                if h in self.request.headers
            }
            usage = wants_usage(group.require_usage, target)
            body = self.adapter.prepare(self.body, target.model.model, usage)
            # the target may prove reasoning through another control than this dialect's own
            body = retarget(self.adapter.dialect, body, target.model.reasoning_control)
            leg = Leg(upstream, self.adapter.dialect, None, None, headers)
            return Prepared(leg, body, self.adapter.upstream_path, forwarded)
        bridge = get_bridge(verdict.bridge)
        previous = None
        key = self._session("responses")
        if verdict.bridge is BridgeDirection.CHAT_TO_RESPONSES and group.sessions.stateful and key:
            # an id is only meaningful to the target that issued it (fallback may switch)
            stored = await self.runtime.sessions.get(key)
            owner, _, rid = (stored or "").partition(" ")
            previous = rid if owner == target.key and rid else None
            if target.model.force_store_false:
                previous = None  # nothing was stored upstream to continue from
        options = self.body.get("stream_options")
        chat_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        ctx = BridgeContext(
            upstream_model=target.model.model,
            inbound_model=group.name,
            reasoning_control=target.model.reasoning_control,
            previous_response_id=previous,
            want_usage=not self.ex.stream
            or chat_usage
            or self.adapter.dialect is not Dialect.OPENAI_CHAT,
        )
        headers[BRIDGE_HEADER] = verdict.bridge.value
        leg = Leg(upstream, self.adapter.dialect, bridge, ctx, headers)
        body = bridge.request(self.body, ctx)
        for name in ctx.dropped:  # once per attempt that reached the bridge
            self.runtime.metrics.bridge_dropped.labels(verdict.bridge.value, name).inc()
        return Prepared(leg, body, bridge.upstream_path, {})

    async def run(self, target: TargetView, verdict: Eligibility) -> web.StreamResponse:
        """One upstream attempt; raises UpstreamError while nothing reached the caller."""
        self.ex.target, self.ex.bridge = target, verdict.bridge
        p = await self._prepare(target, verdict)
        self.ex.upstream_path = p.path
        if target.model.force_store_false:
            p.body = without_storage(target.provider.dialect, p.body)
        auth = self.cfg.upstream_headers.get(target.provider.name, {})
        stream = p.body.get("stream") is True
        provider = target.provider
        path, sent = platform_request(
            provider.platform, provider.dialect, p.body, provider.region, provider.project
        )
        call = build_call(target, path, orjson.dumps(sent), auth, p.forwarded, stream)
        if stream:
            call.headers["Accept"] = stream_accept(provider.platform)
        cloud = self.cfg.cloud.get(provider.name)
        if cloud is not None:  # a SigV4 signature over these bytes, or an OAuth token
            try:
                call.headers.update(await cloud.headers("POST", call.url, call.body, call.headers))
            except CloudAuthError:
                raise UpstreamError(ErrorClass.AUTH_FAILED) from None
        p.leg.bedrock = provider.platform is Platform.BEDROCK
        p.leg.max_reply_bytes = self.runtime.settings.max_reply_bytes
        resp = await send(self.runtime.client, call)
        try:
            if stream:
                out, rid = await stream_reply(self.request, resp, p.leg, self.ex)
            else:
                out, rid = await json_reply(self.request, resp, p.leg, self.ex)
        finally:
            resp.release()
        key = self._session("responses")
        sessions = self.view.group.sessions
        stateful = verdict.bridge is BridgeDirection.CHAT_TO_RESPONSES and sessions.stateful
        if rid and key and stateful:
            await self.runtime.sessions.set(key, f"{target.key} {rid}", sessions.ttl_seconds)
        return out


async def handle(request: web.Request, adapter: DialectAdapter) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    cfg = runtime.state.current
    dialect = adapter.dialect
    if cfg is None:
        return _error(dialect, 503, "NotReady", "the router has no configuration loaded")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = runtime.settings.max_body_bytes
        return _error(dialect, 413, "RequestTooLarge", f"request body exceeds {limit} bytes")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _error(dialect, 400, "BadRequest", "request body is not valid JSON")
    if adapter.reads_path and isinstance(body, dict):
        try:  # Gemini callers name the model and the method in the path
            body = adapter.inbound(request.match_info.get("target"), request.query_string, body)
        except RequestRefused as exc:
            return _error(dialect, 400, "BadRequest", str(exc))
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return _error(dialect, 400, "BadRequest", "request body needs a string field 'model'")
    view = cfg.groups.get(body["model"])
    if view is None:
        return _error(
            dialect, 404, "ModelNotFound", f"model group {body['model']!r} does not exist"
        )
    decision = decide(cfg, view.group, caller_token(request.headers))
    if not decision.allowed:
        return _error(dialect, decision.status, "AccessDenied", decision.message)
    # every field the router reads below is type-checked here, before anything reads it
    wrong = request_type_problem(dialect, body)
    if wrong is not None:
        runtime.metrics.rejected.labels("wrong_type").inc()
        return _error(dialect, 400, "BadRequest", wrong)
    pin = request.headers.get(PIN_HEADER)
    if pin is not None and not decision.operator:
        return _error(dialect, 403, "AccessDenied", "only the operator's token may pin a target")
    if decision.operator and pin is None and (why := confirmation_only(dialect, body)):
        return _error(dialect, 403, "AccessDenied", why)
    ex = Exchange(
        request_id=request.headers.get("x-request-id") or f"{runtime.rng.getrandbits(64):016x}",
        group=view.group.name,
        inbound=dialect,
        stream=body.get("stream") is True,
        cap=output_cap(dialect, body),
    )
    runtime.sink.begin()  # finish() writes its row (batched while others are in flight)
    try:
        return await _route(
            request, runtime, cfg, view, adapter, body, len(raw), ex, decision.caller, pin
        )
    except ConnectionResetError:
        ex.status = 499  # the caller went away
        raise
    except asyncio.CancelledError:
        # the router is stopping and the drain timeout ran out before the answer was complete:
        # never booked as served (status 503), and not the upstream's fault (no error class)
        ex.status = 503
        raise
    finally:
        finish(runtime.metrics, runtime.sink, ex)


async def _route(request: web.Request, runtime: Runtime, cfg: LoadedConfig, view: GroupView,
                 adapter: DialectAdapter, body: dict[str, object], size: int, ex: Exchange,
                 caller: str, pin: str | None = None) -> web.StreamResponse:  # fmt: skip
    dialect, group = adapter.dialect, view.group
    needs = adapter.needs(body, size, cfg.config.settings.large_payload_bytes)
    # the context window is a need like any other (estimated from the body, bucketed)
    # (built directly: dataclasses.replace introspects the fields, twice the cost per request)
    needs = RequestNeeds(needs.inbound, needs.capabilities, needs.capped, needs.hosted_tools,
                         estimate_prompt_tokens(size))  # fmt: skip
    ex.shape = RequestShape.of(body, needs)
    # judged once per distinct needs and config revision (a pinned smoke: its one target)
    eligible = view.pinned(pin, needs) if pin is not None else view.eligible(needs)
    candidates = eligible.candidates
    if not candidates:
        no_eligible(runtime.metrics, group.name)
        ex.status = 400
        why = "; ".join(dict.fromkeys(eligible.reasons)) or "the group has no targets"
        message = f"no target of model group {group.name!r} can serve this request: {why}"
        return _error(dialect, 400, "NoEligibleTarget", message)
    verdicts = {t.key: v for t, v in candidates}
    health = runtime.health
    alive = usable([t for t, _ in candidates], health)
    ready = [t for t in alive if health.cooling(t.key) == 0]
    if not ready:
        wait = math.ceil(min(health.cooling(t.key) for t in alive))
        ex.status, ex.error_class = 429, ErrorClass.RATE_LIMITED
        return _error(dialect, 429, "RateLimited", "every eligible target is rate limited",
                      {"Retry-After": str(max(wait, 1))})  # fmt: skip
    session_value = request.headers.get(group.sessions.header)
    sticky_key = None
    first = None
    if session_value and group.sessions.sticky:
        sticky_key = session_key("sticky", group.name, caller, session_value)
        first = await runtime.sessions.get(sticky_key)
    order = weighted_order(ready, runtime.rng, first)[: group.fallback_max_attempts]
    attempt = Attempt(request, runtime, cfg, view, adapter, body, ex, session_value, caller)
    peers = [t.key for t in alive]
    for i, target in enumerate(order):
        ex.attempts += 1
        try:
            out = await attempt.run(target, verdicts[target.key])
        except RequestRefused as exc:
            ex.status, ex.error_class = 400, ErrorClass.BAD_REQUEST
            runtime.metrics.series(group.name, target.provider.name, target.model.name).errors(
                ErrorClass.BAD_REQUEST.value
            ).inc()
            return _error(dialect, 400, ErrorClass.BAD_REQUEST.value, str(exc))
        except UpstreamError as failure:
            last = i + 1 >= len(order)
            answer = _failed(runtime, ex, target, failure, peers, last, dialect)
            if answer is None:
                continue
            return answer
        if ex.error_class is None:
            health.succeeded(target.key)
            if sticky_key is not None and first != target.key:
                await runtime.sessions.set(sticky_key, target.key, group.sessions.ttl_seconds)
        elif health.failed(target.key, peers):
            runtime.metrics.series(
                group.name, target.provider.name, target.model.name
            ).ejections().inc()
        return out
    raise AssertionError("unreachable: order is never empty")  # pragma: no cover


def _failed(runtime: Runtime, ex: Exchange, target: TargetView, failure: UpstreamError,
            peers: list[str], last: bool, dialect: Dialect) -> web.Response | None:  # fmt: skip
    """Book a failed attempt; None means fall back, otherwise the caller's error response."""
    series = runtime.metrics.series(ex.group, target.provider.name, target.model.name)
    attempt_failed(runtime.metrics, ex, target, failure.error_class)
    if failure.error_class is ErrorClass.RATE_LIMITED:
        cap = runtime.settings.max_retry_after_seconds
        runtime.health.cool(target.key, min(failure.retry_after or 1.0, cap))
    if failure.retryable and runtime.health.failed(target.key, peers):
        series.ejections().inc()
    if failure.retryable and not last:
        series.fallbacks().inc()
        ex.fallback = True
        return None
    ex.status, ex.error_class = status_for(failure.error_class), failure.error_class
    headers = {UPSTREAM_HEADER: target.key}
    if failure.retry_after is not None:
        headers["Retry-After"] = str(math.ceil(failure.retry_after))
    message = upstream_message(failure.error_class)
    body = orjson.dumps(error_body(dialect, failure.error_class, message))
    return web.Response(
        body=body, status=ex.status, content_type="application/json", headers=headers
    )
