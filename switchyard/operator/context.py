"""What every handler shares for the operator's lifetime (kept in kopf's memo)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .coalesce import Coalescer
from .gates import PodSnapshots
from .kube import Kube
from .metrics import OperatorMetrics
from .routerpoll import RouterPoller
from .settings import OperatorSettings

# Router syncs of one namespace begin at least this far apart: the group reconciles (and their
# level timers) in between share the next one.
SYNC_SPACING_SECONDS = 1.0
# ... and begin once no reconcile has asked for SYNC_QUIET_SECONDS (at most SYNC_QUIET_MAX
# later): a burst of new groups is rendered once with all of them, not once with the first
# and again with the rest.
SYNC_QUIET_SECONDS = 0.25
SYNC_QUIET_MAX_SECONDS = 2.0

# (namespace, group, provider/model) -> (window start it belongs to, the baseline scrape)
Baselines = dict[tuple[str, str, str], tuple[datetime | None, PodSnapshots]]


@dataclass
class Context:
    settings: OperatorSettings
    kube: Kube
    poller: RouterPoller
    metrics: OperatorMetrics
    baselines: Baselines = field(default_factory=dict)
    # HMAC key of the namespaces' confirmation tokens (operator.confirm); settings.confirm_key
    # keeps it across restarts, else one per process (router configs then change on restart)
    confirm_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    # each namespace's router syncs, merged (handlers.router.sync_namespace)
    syncs: Coalescer = field(
        default_factory=lambda: Coalescer(
            spacing=SYNC_SPACING_SECONDS, quiet=SYNC_QUIET_SECONDS, quiet_max=SYNC_QUIET_MAX_SECONDS
        )
    )
    # Secret reads: the reconciles asking for one Secret while it is read share the next read
    secret_reads: Coalescer = field(default_factory=Coalescer)
    # each namespace's last render and the catalog version it was rendered from
    renders: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def lock(self, key: str) -> asyncio.Lock:
        """One lock per key (a namespace's router, one object), so reconciles never interleave."""
        return self._locks.setdefault(key, asyncio.Lock())

    async def close(self) -> None:
        await self.poller.close()
        await self.kube.close()
