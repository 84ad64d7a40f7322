"""Everything one router app holds for its lifetime, behind one typed AppKey."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from aiohttp import web

from .config import Fingerprint, LoadedConfig
from .h1 import Pool
from .metrics import RouterMetrics
from .selection import Health
from .sessions import SessionStore
from .settings import Settings
from .usage import UsageSink


@dataclass
class ConfigState:
    """The config being served and how the last reload went (what /readyz reports)."""

    current: LoadedConfig | None = None
    last_error: str | None = None
    last_reload_at: float | None = None
    fingerprint: Fingerprint | None = None

    def swap(self, loaded: LoadedConfig) -> None:
        # One assignment: a request holds the object it started with until it ends.
        self.current = loaded
        self.fingerprint = loaded.fingerprint
        self.last_error = None
        self.last_reload_at = time.time()

    def reject(self, message: str, fingerprint: Fingerprint) -> None:
        self.fingerprint = fingerprint
        self.last_error = message
        self.last_reload_at = time.time()


@dataclass
class Runtime:
    settings: Settings
    metrics: RouterMetrics
    health: Health
    sessions: SessionStore
    sink: UsageSink
    state: ConfigState = field(default_factory=ConfigState)
    rng: random.Random = field(default_factory=random.Random)
    _client: Pool | None = None

    @property
    def client(self) -> Pool:
        """The upstream client (router/h1: HTTP/1.1, pooled, no proxies, no redirects)."""
        if self._client is None:
            raise RuntimeError("the upstream client exists only while the app runs")
        return self._client

    def open_client(self) -> None:
        s = self.settings
        self._client = Pool(s.pool_limit, s.pool_limit_per_host, s.connect_timeout, s.read_timeout)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        await self.sessions.close()
        self.sink.close()


RUNTIME = web.AppKey("switchyard_runtime", Runtime)
