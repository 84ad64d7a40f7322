"""Asking router pods how they are: /readyz (revision) and /metrics (gate counters).

The URL comes from a template (`http://{pod_ip}:{port}` in a cluster) so a test can point it at a
real router process or a small server on 127.0.0.1 reporting whatever revision it needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from .gates import MetricsParseError, PodSnapshots, Snapshot, parse
from .rollout import PodReport


class RouterPoller:
    """One ClientSession for the operator's life, small pool, short timeouts."""

    def __init__(self, url_template: str, port: int, timeout: float) -> None:
        self.url_template = url_template
        self.port = port
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=32, limit_per_host=4)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def base_url(self, pod: Mapping[str, Any]) -> str | None:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip:
            return None
        return self.url_template.format(pod_ip=ip, port=self.port).rstrip("/")

    async def readiness(self, pod: Mapping[str, Any]) -> PodReport:
        name = str((pod.get("metadata") or {}).get("name", ""))
        url = self.base_url(pod)
        if url is None:
            return PodReport(name, None, False)
        try:
            async with self._client().get(f"{url}/readyz") as resp:
                body = await resp.json(content_type=None)
                revision = body.get("revision") if isinstance(body, dict) else None
                ready = resp.status == 200 and body.get("status") == "ready"
                return PodReport(name, str(revision) if revision else None, bool(ready))
        except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
            return PodReport(name, None, False)

    async def reports(self, pods: Sequence[Mapping[str, Any]]) -> list[PodReport]:
        return [await self.readiness(p) for p in pods]

    async def scrape(self, pod: Mapping[str, Any]) -> Snapshot | None:
        url = self.base_url(pod)
        if url is None:
            return None
        try:
            async with self._client().get(f"{url}/metrics") as resp:
                if resp.status != 200:
                    return None
                return parse(await resp.text())
        except (aiohttp.ClientError, TimeoutError, MetricsParseError, UnicodeDecodeError):
            return None

    async def scrape_all(self, pods: Sequence[Mapping[str, Any]]) -> PodSnapshots | None:
        """Every pod's counters, or None when any pod could not be read (no partial windows)."""
        out: dict[str, Snapshot] = {}
        for pod in pods:
            snap = await self.scrape(pod)
            if snap is None:
                return None
            out[str(pod["metadata"]["name"])] = snap
        return out
