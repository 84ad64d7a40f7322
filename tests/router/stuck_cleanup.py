"""`python -m tests.router.stuck_cleanup`: the router (settings from SWITCHYARD_ROUTER_* env)
with one more cleanup step that never ends, for the test of the bounded shutdown."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from switchyard.router.app import create_app
from switchyard.router.cli import LOG_FORMAT, serve_process
from switchyard.router.settings import Settings
from switchyard.router.workers import Worker


async def stuck_cleanup(app: web.Application) -> AsyncIterator[None]:
    yield
    await asyncio.Event().wait()  # never set: a cleanup that never finishes


def build(settings: Settings, worker: Worker | None) -> web.Application:
    app = create_app(settings, worker)
    app.cleanup_ctx.append(stuck_cleanup)  # the last one is cleaned up first
    return app


if __name__ == "__main__":
    logging.basicConfig(level="INFO", stream=sys.stderr, format=LOG_FORMAT)
    sys.exit(serve_process(Settings(), None, build))
