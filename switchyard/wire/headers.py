"""The headers of an upstream request, built once for the router and the probes alike.

A Provider's request is: the default User-Agent, the dialect's version headers, the Provider's
configured headers (which may override both), and the key in the configured auth scheme (last,
so no configured header can replace or leak around it). Caller credentials never travel upstream.
"""

from __future__ import annotations

from collections.abc import Iterable

from switchyard.catalog import AuthScheme, Dialect

from .names import DEFAULT_AUTH, USER_AGENT, VERSION_HEADERS


def auth_headers(scheme: AuthScheme, key: str | None) -> dict[str, str]:
    """The header that carries ``key`` in ``scheme`` (none for AuthScheme.NONE, the cloud
    schemes, or no key)."""
    if key is None or scheme is AuthScheme.NONE:
        return {}
    if scheme is AuthScheme.BEARER:
        return {"Authorization": f"Bearer {key}"}
    if scheme is AuthScheme.X_GOOG_API_KEY:
        return {"x-goog-api-key": key}
    if scheme is AuthScheme.X_API_KEY:
        return {"x-api-key": key}
    return {}  # cloud schemes sign or mint per request (switchyard.cloud), never a static key


def provider_headers(
    dialect: Dialect,
    scheme: AuthScheme,
    key: str | None,
    configured: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """Every header an upstream request of this provider carries, except per-request ones."""
    headers = {"User-Agent": USER_AGENT, **VERSION_HEADERS.get(dialect, {})}
    lowered = {k.lower(): k for k in headers}
    for name, value in configured:
        headers.pop(lowered.pop(name.lower(), name), None)
        headers[name] = value
    headers.update(auth_headers(scheme, key))
    return headers


def caller_headers(dialect: Dialect, token: str | None) -> dict[str, str]:
    """What an official SDK of ``dialect`` sends: its version headers and the token in its
    default scheme (used by router-layer probes, which call the router as a client would)."""
    return {
        "User-Agent": USER_AGENT,
        **VERSION_HEADERS.get(dialect, {}),
        **auth_headers(DEFAULT_AUTH[dialect], token),
    }


def request_headers(base: dict[str, str], stream: bool) -> dict[str, str]:
    """``base`` plus the per-request content headers."""
    accept = "text/event-stream" if stream else "application/json"
    return {**base, "Content-Type": "application/json", "Accept": accept}
