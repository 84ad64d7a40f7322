"""Hot reload: poll the config file and the Secrets it names, swap only a fully valid config.

Kubernetes updates a ConfigMap or Secret volume by pointing the `..data` symlink at a new
directory, so the fingerprint follows real paths (plus inode, mtime and size): an in-place
edit and a symlink swap both change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from aiohttp import web

from .config import ConfigError, load_config, secret_names
from .runtime import RUNTIME, Runtime

log = logging.getLogger("switchyard.router.reload")


def _stat(path: Path | str) -> tuple[object, ...]:
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return (str(path), None)
    return (real, st.st_ino, st.st_mtime_ns, st.st_size)


def fingerprint(config: Path, secrets_dir: Path, names: Iterable[str]) -> tuple[object, ...]:
    parts: list[object] = [_stat(config), _stat(secrets_dir)]
    for name in sorted(names):
        directory = secrets_dir / name
        data = directory / "..data"
        if data.exists():
            parts.append(_stat(data))
            continue
        try:
            keys = sorted(k for k in os.listdir(directory) if not k.startswith("."))
        except OSError:
            parts.append((str(directory), None))
            continue
        parts.extend(_stat(directory / k) for k in keys)
    return tuple(parts)


def _names(runtime: Runtime) -> set[str]:
    current = runtime.state.current
    return secret_names(current.config) if current is not None else set()


async def reload_once(runtime: Runtime) -> bool | None:
    """Reload when something changed: True swapped, False rejected, None unchanged."""
    s = runtime.settings
    fp = await asyncio.to_thread(fingerprint, s.config, s.secrets_dir, _names(runtime))
    if fp == runtime.state.fingerprint:
        return None
    try:
        loaded = await asyncio.to_thread(load_config, s.config, s.secrets_dir, fp)
    except ConfigError as exc:
        runtime.state.reject(str(exc), fp)
        runtime.metrics.reloads.labels(result="failure").inc()
        kept = runtime.state.current.revision if runtime.state.current else None
        log.warning("config rejected, keeping revision %s: %s", kept, exc)
        return False
    names = secret_names(loaded.config)
    fp = await asyncio.to_thread(fingerprint, s.config, s.secrets_dir, names)
    loaded = dataclasses.replace(loaded, fingerprint=fp)
    runtime.state.swap(loaded)
    runtime.metrics.reloads.labels(result="success").inc()
    runtime.metrics.set_revision(loaded.revision)
    providers = loaded.config.providers
    runtime.metrics.set_provider_keys({p.name: p.key_id for p in providers if p.key_id})
    log.info("config revision %s loaded", loaded.revision)
    return True


async def _watch(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.reload_interval)
        try:
            await reload_once(runtime)
        except Exception:  # the watcher must outlive any surprise
            log.exception("config watch failed; retrying")


async def watcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: first load before serving, then poll until shutdown."""
    runtime = app[RUNTIME]
    await reload_once(runtime)
    task = asyncio.create_task(_watch(runtime))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
