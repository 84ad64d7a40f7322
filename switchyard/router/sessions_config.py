"""The session store the loaded RouterConfig asks for.

`settings.sessionBackend` picks memory or Redis (`settings.redisUrl`) and follows hot reloads.
Each (kind, group) gets its own partition bounded by that group's `sessions.maxEntries`, so one
busy group cannot evict another's sessions; TTLs come with each write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from switchyard.catalog import RouterConfig
from switchyard.catalog.router_config import SessionBackend

from .sessions import MemorySessionStore, SessionStore, partition_of
from .sessions_redis import RedisSessionStore

DEFAULT_MAX_ENTRIES = 10000
log = logging.getLogger(__name__)


class ConfiguredSessions:
    """SessionStore facade: routes each key to the partition of its kind and group."""

    def __init__(self, config_of: Callable[[], RouterConfig | None]) -> None:
        self._config_of = config_of
        self._memory: dict[tuple[str, str], tuple[int, MemorySessionStore]] = {}
        self._redis: dict[str, aioredis.Redis] = {}
        self._redis_parts: dict[tuple[str, str, str, int], RedisSessionStore] = {}

    def _store(self, key: str) -> SessionStore:
        config = self._config_of()
        kind, group = partition_of(key)
        limit = DEFAULT_MAX_ENTRIES
        if config is not None:
            g = config.group(group)
            if g is not None:
                limit = g.sessions.max_entries
        settings = config.settings if config is not None else None
        if settings is not None and settings.session_backend is SessionBackend.REDIS:
            url = settings.redis_url
            if not url:
                raise RuntimeError("sessionBackend redis needs settings.redisUrl")
            return self._redis_part(url, kind, group, limit)
        held = self._memory.get((kind, group))
        if held is None or held[0] != limit:
            held = (limit, MemorySessionStore(limit))
            self._memory[(kind, group)] = held
        return held[1]

    def _redis_part(self, url: str, kind: str, group: str, limit: int) -> RedisSessionStore:
        part = self._redis_parts.get((url, kind, group, limit))
        if part is None:
            client = self._redis.get(url)
            if client is None:
                client = RedisSessionStore.from_url(url).client
                self._redis[url] = client
            index = f"switchyard:index:{kind}:{group}"
            part = RedisSessionStore(client, limit, index_key=index)
            self._redis_parts[(url, kind, group, limit)] = part
        return part

    async def get(self, key: str) -> str | None:
        """A session backend outage degrades to stateless routing, never to failed requests."""
        try:
            return await self._store(key).get(key)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("session store unavailable (%s): routing statelessly", type(exc).__name__)
            return None

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        try:
            await self._store(key).set(key, value, ttl_seconds)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("session store unavailable (%s): session not kept", type(exc).__name__)

    async def close(self) -> None:
        for client in self._redis.values():
            await client.aclose()
        self._redis.clear()
        self._memory.clear()
