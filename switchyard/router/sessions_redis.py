"""Redis session store: bridge session state shared by every router replica.

Each entry is a plain key with its own TTL. A sorted-set index (scored by expiry) bounds the
store: one atomic script writes the entry, drops expired index members and, past max_entries,
evicts the entries closest to expiry. Redis's clock is used, so replicas agree on expiry.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

INDEX_KEY = "switchyard:sessions:index"

_SET = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('ZADD', KEYS[2], t + ttl, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', t)
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if extra > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
return extra
"""


class RedisSessionStore:
    """SessionStore on Redis; values are short strings (response ids, target names)."""

    def __init__(
        self, client: aioredis.Redis, max_entries: int = 10000, index_key: str = INDEX_KEY
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._client = client
        self._max = max_entries
        self._index = index_key
        self._set: Any = client.register_script(_SET)

    @classmethod
    def from_url(
        cls, url: str, max_entries: int = 10000, timeout_s: float = 2.0
    ) -> RedisSessionStore:
        """A store with bounded connect and command timeouts: a slow Redis must not stall routing."""
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            decode_responses=True,
            max_connections=64,
        )
        return cls(client, max_entries)

    @property
    def client(self) -> aioredis.Redis:
        return self._client

    async def get(self, key: str) -> str | None:
        value = await self._client.get(key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        await self._set(keys=[key, self._index], args=[value, ttl_seconds, self._max])

    async def size(self) -> int:
        """Entries currently indexed (expired ones are dropped on the next write)."""
        return int(await self._client.zcard(self._index))

    async def close(self) -> None:
        await self._client.aclose()
