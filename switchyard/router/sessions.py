"""Session state shared by sticky routing and the stateful chatToResponses bridge.

Two backends behind one protocol: in-process memory (one replica) and Redis (several replicas).
Keys are namespaced by group and hashed session header values, never the raw header.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Protocol


def session_key(kind: str, group: str, caller: str, session: str) -> str:
    """A store key that reveals neither the caller token nor the session header value.

    Kind and group stay readable (they are catalog names, not secrets) so stores can bound
    each group's sessions on their own; see partition_of.
    """
    digest = hashlib.sha256(f"{group}\0{caller}\0{session}".encode()).hexdigest()[:32]
    return f"switchyard:{kind}:{group}:{digest}"


def partition_of(key: str) -> tuple[str, str]:
    """(kind, group) of a session_key; foreign keys share one ("", "") partition."""
    parts = key.split(":")
    if len(parts) == 4 and parts[0] == "switchyard":
        return parts[1], parts[2]
    return "", ""


class SessionStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_seconds: int) -> None: ...

    async def close(self) -> None: ...


class MemorySessionStore:
    """LRU with per-entry expiry; bounded by max_entries."""

    def __init__(self, max_entries: int = 10000) -> None:
        self._max = max_entries
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        self._data[key] = (time.monotonic() + ttl_seconds, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def close(self) -> None:
        self._data.clear()
