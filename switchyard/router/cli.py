"""`switchyard router`: serve the data plane (uvloop, orjson)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from .app import create_app
from .guard import Guard, GuardedRunner
from .runtime import RUNTIME
from .settings import Settings
from .tasks import describe_tasks, dump_tasks
from .workers import WORKER, Worker, peer_app, supervise

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Python's cycle collector runs after every 700 net new container objects. Under load the
# requests in flight hold that many and more, so it ran every few requests, traversed them,
# promoted them and now and then walked every object of the process: ~10% of the router's CPU
# at c=64 (bench/README.md). Almost everything a request builds is freed by reference counts;
# the collector is only for the rare cycle, and these thresholds still find those.
GC_THRESHOLDS = (10_000, 10, 10)
# After SIGTERM a process may take the drain timeout plus this long to stop (closing the app,
# its clients and sinks takes well under a second); past it, it logs what waits and exits 1.
SHUTDOWN_MARGIN = 5.0
SHUTDOWN_BACKSTOP = 2.0  # then faulthandler's, for a loop that cannot even run that timer
log = logging.getLogger("switchyard.router.cli")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="RouterConfig file (JSON or YAML)")
    parser.add_argument("--host", help="address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.add_argument("--secrets-dir", type=Path, help="Secrets mounted as DIR/<secret>/<key>")
    parser.add_argument("--usage-sink", help="stdout (default), none, or a file path")
    parser.add_argument(
        "--workers", type=int, help="processes sharing the port (default 1; SO_REUSEPORT)"
    )


def run(args: argparse.Namespace) -> int:
    overrides = {
        k: v
        for k, v in {
            "config": args.config,
            "host": args.host,
            "port": args.port,
            "secrets_dir": args.secrets_dir,
            "usage_sink": args.usage_sink,
            "workers": args.workers,
        }.items()
        if v is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        print(f"switchyard router: invalid settings: {problems}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr, format=LOG_FORMAT)
    # `kill -USR1` writes every thread's Python stack to stderr: where a stuck router (or any
    # of its workers, which inherit this) is, without stopping it
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    # `kill -USR2` writes every asyncio task and the awaits it waits in (tasks.py): where an
    # idle but stuck loop is. Ignored until the loop exists; the supervisor passes it on.
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    if settings.workers > 1:  # fork before any event loop exists
        return supervise(settings.workers, partial(serve_process, settings))
    return serve_process(settings, None)


def serve_process(
    settings: Settings,
    worker: Worker | None,
    build: Callable[[Settings, Worker | None], web.Application] = create_app,
) -> int:
    """Serve in this process until SIGTERM / SIGINT (one worker of several, or the router).

    `build` makes the app (tests hand in one whose cleanup never ends)."""
    if worker is not None:  # say which worker a line comes from
        tagged = logging.Formatter(
            LOG_FORMAT.replace("%(name)s", f"worker-{worker.index} %(name)s")
        )
        for handler in logging.getLogger().handlers:
            handler.setFormatter(tagged)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGUSR2, dump_tasks, loop)
    app = build(settings, worker)
    # what start-up built lives as long as the process: kept out of the collector's walks
    # (configs load later, so a replaced one can still be collected)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    main = loop.create_task(serve(app, settings))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):  # SIGTERM / SIGINT
        pass
    finally:
        main.cancel()
        _bound_shutdown(loop, app, settings.drain_timeout + SHUTDOWN_MARGIN)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
        finally:
            faulthandler.cancel_dump_traceback_later()
    return 0


def _bound_shutdown(loop: asyncio.AbstractEventLoop, app: web.Application, seconds: float) -> None:
    """Exit 1 if stopping outlives `seconds` (drain timeout + margin), saying what waits.

    Requests in flight are cancelled when the drain timeout ends (guard.py), so a cleanup
    still running well after that is stuck: better a logged exit inside the pod's grace period
    than a hang until the kubelet's SIGKILL. The loop timer writes every task and its awaits
    (code locations only), writes the usage rows still waiting, and exits; faulthandler is the
    backstop for a loop too blocked to run the timer (every thread's stack, then exit 1).
    """

    def overdue() -> None:
        log.error(
            "stopping took over %.0f s (drain timeout + %.0f s); exiting 1. Still waiting:\n%s",
            seconds, SHUTDOWN_MARGIN, describe_tasks(loop),
        )  # fmt: skip
        with contextlib.suppress(Exception):
            app[RUNTIME].sink.flush()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(1)

    loop.call_later(seconds, overdue)
    faulthandler.dump_traceback_later(seconds + SHUTDOWN_BACKSTOP, exit=True, file=sys.stderr)


async def serve(app: web.Application, settings: Settings) -> None:
    """Serve until cancelled, with the connection guard (see guard.py) in front of the app."""
    guard = Guard(
        header_timeout=settings.header_timeout,
        max_connections=settings.max_connections,
        max_per_client=settings.max_connections_per_client,
        metrics=app[RUNTIME].metrics,
    )
    runner = GuardedRunner(
        app, guard, handle_signals=True, access_log=None,
        keepalive_timeout=settings.keepalive_timeout, shutdown_timeout=settings.drain_timeout,
    )  # fmt: skip
    await runner.setup()
    worker = app.get(WORKER)
    peer = (
        web.AppRunner(peer_app(app), handle_signals=False, access_log=None,
                      shutdown_timeout=settings.drain_timeout)
        if worker else None
    )  # fmt: skip
    try:
        if worker is not None and peer is not None:  # the snapshot socket is up first
            await peer.setup()
            await web.UnixSite(peer, str(worker.socket(worker.index))).start()
        site = web.TCPSite(
            runner, settings.host, settings.port, backlog=1024, reuse_port=worker is not None
        )
        await site.start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        if peer is not None:
            await peer.cleanup()
