"""`switchyard router --workers N`: N processes serving one port, and one scrape for them all.

The parent forks N workers before any event loop exists, then only supervises: SIGTERM or
SIGINT is passed on to every worker (each drains its requests and closes its usage sink, as a
single router does) and the parent exits when all have; a worker that exits on its own stops
the others and the parent exits 1, so the pod restarts as it would with one process. Workers
die with the parent (PR_SET_PDEATHSIG), so none outlives it holding the port.

Every worker binds the port with SO_REUSEPORT (the kernel spreads connections over them), runs
its own config watch and reload, and writes its own usage rows (whole lines, one `write` each,
to an O_APPEND file or the shared stdout, so rows of different workers never interleave).
Metrics stay in each worker's own registry; a worker also answers on a Unix socket in a private
directory with a snapshot of its registry, and `/metrics` on any worker merges every worker's
snapshot (metrics_merge.py), so a scrape through the Service sees the totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from switchyard.catalog import SwitchyardError

from .metrics_merge import Snapshot, render, snapshot
from .runtime import RUNTIME

log = logging.getLogger("switchyard.router.workers")
PR_SET_PDEATHSIG = 1
PEER_TIMEOUT = 5.0  # a worker whose loop is stuck this long fails the scrape, never half of it


@dataclass(frozen=True)
class Worker:
    index: int
    count: int
    sockets: Path  # private directory of the workers' snapshot sockets

    def socket(self, index: int) -> Path:
        return self.sockets / f"worker-{index}.sock"


WORKER = web.AppKey("switchyard_worker", Worker)


class PeerUnavailableError(SwitchyardError):
    """A worker's snapshot could not be had in time; the scrape fails as a whole (503)."""


# ---------------------------------------------------------------- one scrape for all workers


async def _own(request: web.Request) -> web.Response:
    data = snapshot(request.app[RUNTIME].metrics.registry)
    return web.Response(body=orjson.dumps(data), content_type="application/json")


def peer_app(app: web.Application) -> web.Application:
    """The snapshot endpoint other workers read (on this worker's Unix socket only)."""
    peer = web.Application()
    peer[RUNTIME] = app[RUNTIME]
    peer.router.add_get("/snapshot", _own)
    return peer


async def _peer(worker: Worker, index: int) -> Snapshot | None:
    """A peer's snapshot; None when it is not serving yet (no socket, or nothing listening)."""
    path = worker.socket(index)
    timeout = aiohttp.ClientTimeout(total=PEER_TIMEOUT)
    try:
        connector = aiohttp.UnixConnector(path=str(path))
        async with (
            aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
            session.get("http://worker/snapshot") as r,
        ):
            r.raise_for_status()
            data: Snapshot = orjson.loads(await r.read())
            return data
    except aiohttp.ClientConnectorError:
        return None
    except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
        raise PeerUnavailableError(f"worker {index}: {type(exc).__name__}") from None


async def scrape(app: web.Application) -> bytes:
    """This worker's metrics merged with every other worker's."""
    worker = app[WORKER]
    own = snapshot(app[RUNTIME].metrics.registry)
    peers = await asyncio.gather(
        *(_peer(worker, i) for i in range(worker.count) if i != worker.index)
    )
    return render([own, *(p for p in peers if p is not None)])


# ---------------------------------------------------------------- processes


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _child(worker: Worker, parent: int, serve_one: Callable[[Worker], int]) -> None:
    code = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        _die_with_parent(parent)
        code = serve_one(worker)
    except BaseException:  # never return into the parent's code from a fork
        log.exception("worker %d failed", worker.index)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def supervise(count: int, serve_one: Callable[[Worker], int]) -> int:
    """Fork `count` workers running `serve_one`, pass SIGTERM/SIGINT on, wait for them all."""
    sockets = Path(tempfile.mkdtemp(prefix="switchyard-workers-"))  # mode 0700
    parent = os.getpid()
    children: dict[int, int] = {}
    stopping = False

    def forward(signum: int, frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def stop_all(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    blocked = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # no signal between fork and handler
    try:
        for index in range(count):
            pid = os.fork()
            if pid == 0:
                _child(Worker(index, count, sockets), parent, serve_one)
            children[pid] = index
        for sig in blocked:
            signal.signal(sig, stop_all)
        signal.signal(signal.SIGUSR2, forward)  # every worker's asyncio tasks (tasks.py)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
    log.info("router: %d workers started (pids %s)", count, sorted(children))
    code = 0
    while children:
        pid, status = os.wait()
        index = children.pop(pid, -1)
        if index < 0:
            continue
        exit_code = os.waitstatus_to_exitcode(status)
        if not stopping:
            log.error("worker %d exited (%s); stopping the others", index, exit_code)
            code = 1
            stop_all(signal.SIGTERM, None)
        elif exit_code != 0:
            code = 1
    shutil.rmtree(sockets, ignore_errors=True)
    return code
