"""Body preparation shared by the router's native path and the direct probes, so evidence is
gathered with the body the router will send."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect

from .names import UPSTREAM_PATH, google_path

JSON = dict[str, Any]


# Dialects whose reference API has a ``store`` flag (the provider keeps the conversation).
STORE_FIELD = frozenset({Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES})


def without_storage(dialect: Dialect, body: JSON) -> JSON:
    """``body`` with ``store: false`` where the dialect has the flag (a Provider model's
    ``forceStoreFalse``: nothing is kept upstream, whatever the caller asked)."""
    return {**body, "store": False} if dialect in STORE_FIELD else body


# The caller's output cap, per dialect (Chat's older max_tokens still counts).
CAP_FIELDS: dict[Dialect, tuple[str, ...]] = {
    Dialect.OPENAI_CHAT: ("max_completion_tokens", "max_tokens"),
    Dialect.OPENAI_RESPONSES: ("max_output_tokens",),
    Dialect.ANTHROPIC: ("max_tokens",),
    Dialect.GOOGLE: ("maxOutputTokens",),
}


def output_cap(dialect: Dialect, body: JSON) -> int | None:
    """The smallest valid output cap the request sets, or None."""
    if dialect is Dialect.GOOGLE:  # Gemini keeps it in generationConfig
        config = body.get("generationConfig")
        body = config if isinstance(config, dict) else {}
    caps = [
        v
        for k in CAP_FIELDS.get(dialect, ())
        if isinstance(v := body.get(k), int) and not isinstance(v, bool) and v > 0
    ]
    return min(caps) if caps else None


def prepare_body(dialect: Dialect, body: JSON, upstream_model: str, want_usage: bool) -> JSON:
    """``body`` addressed to ``upstream_model``; a Chat stream asks for its usage chunk when
    usage is wanted (the other dialects always report usage)."""
    out = {**body, "model": upstream_model}
    if want_usage and dialect is Dialect.OPENAI_CHAT and body.get("stream") is True:
        options = body.get("stream_options")
        out["stream_options"] = {**(options if isinstance(options, dict) else {}),
                                 "include_usage": True}  # fmt: skip
    return out


def upstream_request(dialect: Dialect, body: JSON) -> tuple[str, JSON]:
    """The path under the base URL and the body actually sent for a prepared ``body``.

    Every dialect's prepared body names ``model`` (and ``stream``) the same way; Gemini carries
    both in the path (``models/{m}:generateContent`` or ``:streamGenerateContent?alt=sse``)
    and refuses them as unknown body fields, so they move there.
    """
    if dialect is Dialect.GOOGLE:
        out = {k: v for k, v in body.items() if k not in ("model", "stream")}
        return google_path(str(body.get("model", "")), body.get("stream") is True), out
    return UPSTREAM_PATH[dialect], body
