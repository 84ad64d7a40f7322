"""Hot reload: watch the config file and the Secrets it names, swap only a fully valid config.

Kubernetes updates a ConfigMap or Secret volume by pointing the `..data` symlink at a new
directory, so the fingerprint follows real paths (plus inode, mtime and size): an in-place
edit and a symlink swap both change it. inotify on the directories involved (inotify.py) wakes
the check at once; the poll every `reload_interval` runs as well, and alone where inotify
cannot be used. Either way `reload_once` is the one path: a change is validated in full
before it is swapped in.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from aiohttp import web

from .config import ConfigError, Fingerprint, load_config, secret_names
from .inotify import DirWatcher, InotifyUnavailableError
from .runtime import RUNTIME, Runtime

log = logging.getLogger("switchyard.router.reload")


def _stat(path: Path | str) -> tuple[object, ...]:
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return (str(path), None)
    return (real, st.st_ino, st.st_mtime_ns, st.st_size)


def _secret_parts(secrets_dir: Path, name: str) -> tuple[object, ...]:
    directory = secrets_dir / name
    data = directory / "..data"
    parts: list[object] = [_stat(data)] if data.exists() else []
    # the keys too: the kubelet links a new key's visible name only after the ..data swap
    try:
        keys = sorted(k for k in os.listdir(directory) if not k.startswith("."))
    except OSError:
        return (*parts, (str(directory), None))
    return (*parts, *(_stat(directory / k) for k in keys))


def fingerprint(config: Path, secrets_dir: Path, names: Iterable[str]) -> Fingerprint:
    """What the config and each named Secret look like on disk, one entry per source."""
    head = ("", (_stat(config), _stat(secrets_dir)))
    return (head, *((n, _secret_parts(secrets_dir, n)) for n in sorted(set(names))))


def _only(fp: Fingerprint, names: set[str]) -> Fingerprint:
    return tuple(entry for entry in fp if entry[0] == "" or entry[0] in names)


def _mounted(secrets_dir: Path) -> set[str]:
    """The Secrets mounted now: a config rejected for want of a key names its Secret, but only
    a loaded config's names are known, so every mounted Secret counts as a change source."""
    try:
        with os.scandir(secrets_dir) as entries:
            return {e.name for e in entries if not e.name.startswith(".") and e.is_dir()}
    except OSError:
        return set()


def _names(runtime: Runtime) -> set[str]:
    current = runtime.state.current
    names = secret_names(current.config) if current is not None else set()
    return names | _mounted(runtime.settings.secrets_dir)


async def reload_once(runtime: Runtime) -> bool | None:
    """Reload when something changed: True swapped, False rejected, None unchanged."""
    s = runtime.settings
    started = time.perf_counter()
    names = _names(runtime)
    fp = await asyncio.to_thread(fingerprint, s.config, s.secrets_dir, names)
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
    # A fingerprint may only vouch for what was read after it was taken. The new config may
    # name other Secrets: if nothing the first fingerprint covers changed while loading and no
    # Secret appeared, the stat taken now describes what was loaded; otherwise keep the first
    # one, which no longer matches the disk, so the next check (already woken) loads again.
    after = secret_names(loaded.config) | _mounted(s.secrets_dir)
    now = await asyncio.to_thread(fingerprint, s.config, s.secrets_dir, names | after)
    if _only(now, names) == fp and after <= names:
        fp = _only(now, after)
    loaded = dataclasses.replace(loaded, fingerprint=fp)
    runtime.state.swap(loaded)
    runtime.metrics.reloads.labels(result="success").inc()
    runtime.metrics.set_revision(loaded.revision)
    providers = loaded.config.providers
    runtime.metrics.set_provider_keys({p.name: p.key_id for p in providers if p.key_id})
    ms = (time.perf_counter() - started) * 1000
    log.info("config revision %s loaded in %.0f ms", loaded.revision, ms)
    return True


def watched_dirs(config: Path, secrets_dir: Path, names: Iterable[str]) -> set[Path]:
    """The directories whose entries change when the config or a named Secret does.

    The config's own directory and that of every hop of its symlink chain (a kubelet mount
    swaps `..data` in the mounted directory; a file linked from elsewhere changes there), the
    Secrets directory, and each named Secret's directory.
    """
    dirs = {config.parent, Path(os.path.realpath(config)).parent, secrets_dir}
    hop = config
    for _ in range(40):  # the kernel's own limit on symlink hops
        try:
            target = Path(os.readlink(hop))
        except OSError:
            break
        hop = hop.parent / target
        dirs.add(hop.parent)
    dirs.update(secrets_dir / name for name in names)
    return dirs


class _Wakes:
    """inotify when it works, else nothing: each failure is logged once, then the poll serves."""

    def __init__(self, enabled: bool) -> None:
        self._watcher: DirWatcher | None = None
        self._logged: set[str] = set()
        if not enabled:
            log.info("config watch: polling every reload_interval (reload_watch is off)")
            return
        try:
            self._watcher = DirWatcher.open()
        except InotifyUnavailableError as exc:
            log.warning("config watch: inotify unavailable (%s); polling only", exc)

    def arm(self, runtime: Runtime) -> bool:
        """Watch what the config now involves; True when a directory was added (a change in
        it before now went unseen, so the caller checks once more)."""
        if self._watcher is None:
            return False
        s = runtime.settings
        before = self._watcher.watched
        for problem in self._watcher.watch(watched_dirs(s.config, s.secrets_dir, _names(runtime))):
            if problem not in self._logged:
                self._logged.add(problem)
                log.warning("config watch: cannot watch %s; polling covers it", problem)
        return not self._watcher.watched <= before

    async def wait(self, seconds: float) -> None:
        if self._watcher is None:
            await asyncio.sleep(seconds)
        else:
            await self._watcher.wait(seconds)

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()


async def _check(runtime: Runtime, wakes: _Wakes) -> None:
    await reload_once(runtime)
    while wakes.arm(runtime):  # re-arm: directories replaced, Secrets the new config names
        await reload_once(runtime)


async def _watch(runtime: Runtime, wakes: _Wakes) -> None:
    while True:
        await wakes.wait(runtime.settings.reload_interval)
        try:
            await _check(runtime, wakes)
        except Exception:  # the watcher must outlive any surprise
            log.exception("config watch failed; retrying")


async def watcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: arm the watch, first load before serving, then follow changes."""
    runtime = app[RUNTIME]
    wakes = _Wakes(runtime.settings.reload_watch)
    wakes.arm(runtime)  # before the first load: a change during it wakes the loop
    await _check(runtime, wakes)
    task = asyncio.create_task(_watch(runtime, wakes))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    wakes.close()
