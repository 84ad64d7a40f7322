"""Session stores, memory and Redis (a real redis-server): values, TTL, bounds, replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from switchyard.catalog import RouterConfig
from switchyard.router.sessions import MemorySessionStore, SessionStore, session_key
from switchyard.router.sessions_config import ConfiguredSessions
from switchyard.router.sessions_redis import RedisSessionStore

from .redis_fixture import free_port, redis_url

__all__ = ["redis_url"]

Factory = Callable[[int], SessionStore]


@pytest.fixture(params=["memory", "redis"])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    stores: list[SessionStore] = []
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    if url is not None:
        flush = RedisSessionStore.from_url(url)
        await flush._client.flushdb()
        await flush.close()

    def make(max_entries: int) -> SessionStore:
        store: SessionStore = (
            RedisSessionStore.from_url(url, max_entries) if url else MemorySessionStore(max_entries)
        )
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()


async def test_set_get_and_overwrite(make_store: Factory) -> None:
    store = make_store(100)
    key = session_key("prev", "group-a", "caller-1", "session-1")
    assert await store.get(key) is None
    await store.set(key, "resp_1", 60)
    assert await store.get(key) == "resp_1"
    await store.set(key, "resp_2", 60)
    assert await store.get(key) == "resp_2"


async def test_entries_expire(make_store: Factory) -> None:
    store = make_store(100)
    await store.set("switchyard:t:short", "x", 1)
    await store.set("switchyard:t:long", "y", 60)
    await asyncio.sleep(1.3)
    assert await store.get("switchyard:t:short") is None
    assert await store.get("switchyard:t:long") == "y"


async def test_bounded_evicts_oldest(make_store: Factory) -> None:
    store = make_store(3)
    for i in range(5):
        await store.set(f"switchyard:t:{i}", str(i), 60 + i)
    assert [await store.get(f"switchyard:t:{i}") for i in range(5)] == [None, None, "2", "3", "4"]
    if isinstance(store, RedisSessionStore):
        assert await store.size() == 3


async def test_replicas_share_redis_state(redis_url: str) -> None:
    one, two = RedisSessionStore.from_url(redis_url), RedisSessionStore.from_url(redis_url)
    try:
        key = session_key("prev", "g", "c", "s-shared")
        await one.set(key, "resp_shared", 60)
        assert await two.get(key) == "resp_shared"
    finally:
        await one.close()
        await two.close()


def test_keys_hide_callers_and_sessions() -> None:
    key = session_key("prev", "group-a", "sk-caller-token", "my-session")
    assert "sk-caller-token" not in key and "my-session" not in key
    assert key != session_key("prev", "group-a", "other-caller", "my-session")
    assert key != session_key("prev", "group-a", "sk-caller-token", "other-session")


async def test_bad_arguments_are_refused(redis_url: str) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        RedisSessionStore.from_url(redis_url, max_entries=0)
    store = RedisSessionStore.from_url(redis_url)
    try:
        with pytest.raises(ValueError, match="ttl_seconds"):
            await store.set("switchyard:t:x", "v", 0)
        assert await store.get("switchyard:t:x") is None
    finally:
        await store.close()


def _config(settings: dict[str, object], max_entries: int = 2) -> RouterConfig:
    group = {"name": "g", "sessions": {"stateful": True, "maxEntries": max_entries}}
    return RouterConfig.model_validate({"settings": settings, "groups": [group]})


async def test_configured_store_follows_the_config(redis_url: str) -> None:
    config = {"now": _config({})}
    store = ConfiguredSessions(lambda: config["now"])
    try:
        keys = [session_key("responses", "g", "c", str(i)) for i in range(3)]
        for i, key in enumerate(keys):
            await store.set(key, str(i), 60)
        assert [await store.get(k) for k in keys] == [None, "1", "2"]  # the group's maxEntries
        config["now"] = _config({"sessionBackend": "redis", "redisUrl": redis_url})
        assert await store.get(keys[2]) is None  # a fresh backend after the reload
        await store.set(keys[2], "r", 60)
        other = RedisSessionStore.from_url(redis_url)
        assert await other.get(keys[2]) == "r"
        await other.close()
    finally:
        await store.close()


async def test_redis_outage_degrades_to_stateless() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    store = ConfiguredSessions(lambda: _config({"sessionBackend": "redis", "redisUrl": dead}))
    try:
        key = session_key("responses", "g", "c", "s")
        await store.set(key, "x", 60)  # no exception reaches the request
        assert await store.get(key) is None
    finally:
        await store.close()
