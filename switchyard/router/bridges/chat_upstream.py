"""What the bridges that serve other skins from a Chat upstream (responsesToChat,
messagesToChat) share outside the stream: how they ask for a stream, and how they read a reply."""

from __future__ import annotations

from switchyard.catalog import ErrorClass

from .base import JSON, BridgeUpstreamFailed


def stream_if_asked(body: JSON, out: JSON) -> None:
    """A streamed caller request streams upstream too, asking for the usage chunk at the end."""
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}


def answer(body: JSON) -> tuple[JSON, str]:
    """The message and finish reason of a Chat reply's choice; a reply without a choice is a
    bad response."""
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        raise BridgeUpstreamFailed(ErrorClass.BAD_RESPONSE, "upstream reply has no choices")
    return choices[0].get("message") or {}, str(choices[0].get("finish_reason") or "stop")
