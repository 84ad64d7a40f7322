"""Config changes seen at once: inotify wakes the reload, the poll stays as the fallback.

The routers here poll once an hour, so a reload they show within the tests' deadlines can only
have come from the directory watch.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from pathlib import Path

import httpx

from switchyard.router.inotify import DirWatcher

from .harness import (
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    kubelet_swap,
    provider,
    provider_keys,
    run_router,
)

NO_POLL = {"SWITCHYARD_ROUTER_RELOAD_INTERVAL": "3600"}
DEADLINE = 60.0  # generous, and far below the hour-long poll


def _config(mock: Mock, target: str):  # type: ignore[no-untyped-def]
    providers = [provider(n, mock.url + "/v1", models={"m": f"model-{n}"}) for n in ("a", "b")]
    return build(providers, [G("g", [T(target)])], [evidence(p) for p in providers])


def test_a_kubelet_swap_of_the_config_is_seen_without_the_poll(tmp_path: Path, mock: Mock) -> None:
    first, second, third = _config(mock, "a"), _config(mock, "b"), _config(mock, "a")
    mounted = tmp_path / "configmap"
    kubelet_swap(mounted, 1, {"router.json": first.to_json()})
    with run_router(tmp_path, first, provider_keys("a", "b"), **NO_POLL) as router:
        # the harness wrote a plain file; point it at the mount as a pod's path would be
        router.config.unlink()
        router.config.symlink_to(mounted / "router.json")
        kubelet_swap(mounted, 2, {"router.json": second.to_json()})
        router.wait_revision(second.revision, timeout=DEADLINE)
        kubelet_swap(mounted, 3, {"router.json": third.to_json()})  # the re-armed watch
        router.wait_revision(third.revision, timeout=DEADLINE)
        assert "inotify unavailable" not in router.logs()


def _key_sent(router: Router, mock: Mock) -> str:
    """The provider key the router sends upstream now (group g routes to provider a). The
    fake upstream records the request whatever it answers (it expects another key)."""
    body = {"model": "g", "messages": [{"role": "user", "content": "hi"}]}
    httpx.post(f"{router.v1}/chat/completions", json=body, timeout=30)
    auth: str = mock.requests("model-a")[-1]["headers"]["authorization"]
    return auth


def test_a_secret_appearing_and_rotating_is_seen_without_the_poll(
    tmp_path: Path, mock: Mock
) -> None:
    good = _config(mock, "a")
    with run_router(tmp_path, good, {}, **NO_POLL) as router:  # the Secret is missing
        assert router.readyz()["status"] == "not-ready"
        keys = router.secrets / "provider-keys"
        kubelet_swap(keys, 1, {"a": "k-old", "b": "k-old"})  # watched through its parent
        router.wait_revision(good.revision, timeout=DEADLINE)
        assert _key_sent(router, mock) == "Bearer k-old"
        kubelet_swap(keys, 2, {"a": "k-new", "b": "k-new"})  # a rotation: same revision
        deadline = time.monotonic() + DEADLINE
        while (sent := _key_sent(router, mock)) != "Bearer k-new":
            assert time.monotonic() < deadline, f"still sending the old key ({sent[:9]}...)"
            threading.Event().wait(0.05)
        assert router.readyz()["revision"] == good.revision


def test_the_poll_still_serves_without_the_watch(tmp_path: Path, mock: Mock) -> None:
    first, second = _config(mock, "a"), _config(mock, "b")
    env = {"SWITCHYARD_ROUTER_RELOAD_WATCH": "false"}
    with run_router(tmp_path, first, provider_keys("a", "b"), **env) as router:
        router.write_config(second.to_json())
        router.wait_revision(second.revision)
        assert "polling every reload_interval" in router.logs()


async def test_the_watch_follows_a_directory_that_disappears_and_returns(tmp_path: Path) -> None:
    watched = tmp_path / "mount"
    watched.mkdir()
    watcher = DirWatcher.open()
    try:
        assert watcher.watch([watched]) == [] and watcher.watched == {watched}
        shutil.rmtree(watched)
        assert await watcher.wait(DEADLINE)
        watcher.watch([watched])  # gone: its parent stands in, so its return is seen
        assert watcher.watched == {tmp_path}
        watched.mkdir()
        assert await watcher.wait(DEADLINE)
        watcher.watch([watched])
        assert watcher.watched == {watched}
        await asyncio.to_thread((watched / "key").write_text, "v")  # IN_CLOSE_WRITE
        assert await watcher.wait(DEADLINE)
    finally:
        watcher.close()


async def test_a_wait_cancelled_just_as_an_event_woke_it_is_cancelled(tmp_path: Path) -> None:
    """The reload loop (`while True: await wakes.wait(...)`) is cancelled when the router stops.
    A directory event that wakes the wait a loop turn or two before the cancel must not eat
    the cancel (asyncio.wait_for on 3.11 did): the loop kept running and the router's cleanup
    waited for it forever. Every spacing of event and cancel is tried."""
    watcher = DirWatcher.open()
    watcher.watch([tmp_path])

    async def follow() -> None:
        while True:
            await watcher.wait(3600)

    try:
        for turns in range(8):
            task = asyncio.create_task(follow())
            await asyncio.sleep(0)  # in the wait
            (tmp_path / f"file-{turns}").write_text("x")  # the event is queued at once
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=DEADLINE)
            assert task in done and task.cancelled(), f"cancel eaten {turns} turns after the event"
    finally:
        watcher.close()


def test_a_key_linked_after_the_data_swap_is_still_picked_up(tmp_path: Path, mock: Mock) -> None:
    """The kubelet links a new key's visible name after it swaps `..data`; a reload that ran
    in between fails, and the link appearing must count as a change (it did not)."""
    good = _config(mock, "a")
    with run_router(tmp_path, good, {}, **NO_POLL) as router:  # the Secret is missing
        keys = router.secrets / "provider-keys"
        (keys / "..v1").mkdir(parents=True)
        for name in ("a", "b"):
            (keys / "..v1" / name).write_text("k")
        swapped_at = time.time()
        (keys / "..data").symlink_to("..v1")
        deadline = time.monotonic() + DEADLINE
        while (router.readyz()["lastReloadAt"] or 0) < swapped_at:  # it saw ..data, no keys
            assert time.monotonic() < deadline, router.readyz()
            threading.Event().wait(0.02)
        assert router.readyz()["status"] == "not-ready"
        for name in ("a", "b"):
            (keys / name).symlink_to(f"..data/{name}")
        router.wait_revision(good.revision, timeout=DEADLINE)
