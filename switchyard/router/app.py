"""The router's aiohttp app factory: routes, lifecycle, and the small GET endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import orjson
from aiohttp import web

from .access import caller_token, decide
from .dialects import ADAPTERS
from .framing import framing
from .metrics import RouterMetrics
from .proxy import handle
from .reload import watcher_ctx
from .runtime import RUNTIME, ConfigState, Runtime
from .selection import Health
from .sessions_config import ConfiguredSessions
from .settings import Settings
from .usage import UsageSink
from .workers import WORKER, PeerUnavailableError, Worker, scrape


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """This process's state: with several workers, the one that took the connection."""
    state = request.app[RUNTIME].state
    ready = state.current is not None
    body = {
        "status": "ready" if ready else "not-ready",
        "revision": state.current.revision if state.current else None,
        "lastReloadError": state.last_error,
        "lastReloadAt": state.last_reload_at,
    }
    worker = request.app.get(WORKER)
    if worker is not None:
        body["worker"] = worker.index
    return _json(body, 200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    if request.app.get(WORKER) is None:
        body = request.app[RUNTIME].metrics.render()
    else:
        try:
            body = await scrape(request.app)  # every worker's, merged
        except PeerUnavailableError as exc:
            return _json({"error": f"metrics unavailable: {exc}"}, 503)
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


async def models(request: web.Request) -> web.Response:
    """The groups this caller may use, in OpenAI's list shape."""
    cfg = request.app[RUNTIME].state.current
    token = caller_token(request.headers)
    groups = [] if cfg is None else [v.group for v in cfg.groups.values()]
    data = [
        {"id": g.name, "object": "model", "created": 0, "owned_by": "switchyard"}
        for g in groups
        if cfg is not None and decide(cfg, g, token).allowed
    ]
    return _json({"object": "list", "data": data})


async def _client_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    runtime.open_client()
    yield
    await runtime.close()


def create_app(settings: Settings, worker: Worker | None = None) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[framing])
    if worker is not None:
        app[WORKER] = worker
    state = ConfigState()
    app[RUNTIME] = Runtime(
        settings=settings,
        metrics=RouterMetrics(),
        health=Health(settings.eject_after_failures, settings.eject_seconds),
        # memory or Redis, as the loaded config's settings say; bounded per group
        sessions=ConfiguredSessions(lambda: state.current.config if state.current else None),
        sink=UsageSink(settings.usage_sink),
        state=state,
    )
    for adapter in ADAPTERS.values():
        for path in (adapter.path, *adapter.extra_paths):
            app.router.add_post(path, partial(handle, adapter=adapter))
    app.router.add_get("/v1/models", models)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.cleanup_ctx.append(_client_ctx)
    app.cleanup_ctx.append(watcher_ctx)
    return app
