"""The operator's own caller token per namespace, and where it reaches a router pod.

The token is an HMAC of the operator's key (settings.confirm_key, else random per process) and
the namespace: stable across restarts when the key is set, different per namespace, never
stored. The router config holds only its SHA-256 (settings.operatorTokenDigest); the router
accepts it on every group for two things only: a post-rollback confirmation request
(``operator.confirm``) and a router-level smoke pinned to one target (``operator.routerproof``).
"""

from __future__ import annotations

import hashlib
import hmac

from .context import Context
from .routerres import NAME

SELECTOR = f"app.kubernetes.io/name={NAME}"


def namespace_token(key: bytes, namespace: str) -> str:
    """The operator's caller token in ``namespace`` (never logged or stored)."""
    return hmac.new(key, f"switchyard-confirm/{namespace}".encode(), hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """What the router config carries instead of the token (hex SHA-256, as the router hashes)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def ready_router_url(ctx: Context, namespace: str) -> str | None:
    """The base URL of a router pod whose /readyz says ready (None: none is)."""
    pods = [
        p
        for p in await ctx.kube.pods(namespace, SELECTOR)
        if not p["metadata"].get("deletionTimestamp")
    ]
    ready = {r.pod for r in await ctx.poller.reports(pods) if r.ready}
    for pod in pods:
        url = ctx.poller.base_url(pod)
        if pod["metadata"]["name"] in ready and url:
            return url
    return None
