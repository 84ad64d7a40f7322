"""What the bridges that serve other skins from a Chat upstream (responsesToChat,
messagesToChat) share outside the stream: how a request ends, and how they read a reply."""

from __future__ import annotations

from switchyard.catalog import Dialect, ErrorClass
from switchyard.wire.reasoning import Effort

from .base import JSON, BridgeContext, BridgeUpstreamFailed
from .reading import reasoning_fields


def finish_request(body: JSON, out: JSON, effort: Effort | None, ctx: BridgeContext) -> JSON:
    """The end of every request to a Chat upstream: the caller's reasoning ``effort`` in the
    target's proven control, and a streamed caller streams upstream too, asking for the usage
    chunk at the end."""
    out.update(reasoning_fields(effort, ctx, Dialect.OPENAI_CHAT))
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def answer(body: JSON) -> tuple[JSON, str]:
    """The message and finish reason of a Chat reply's choice; a reply without a choice is a
    bad response."""
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        raise BridgeUpstreamFailed(ErrorClass.BAD_RESPONSE, "upstream reply has no choices")
    return choices[0].get("message") or {}, str(choices[0].get("finish_reason") or "stop")
