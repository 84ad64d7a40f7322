"""What the bridges that serve other skins from a Chat upstream (responsesToChat,
messagesToChat) share outside the stream: how they ask for one, and the reply's choice."""

from __future__ import annotations

from switchyard.catalog import ErrorClass

from .base import JSON, BridgeUpstreamFailed


def ask_for_stream(out: JSON) -> None:
    """Make ``out`` a streamed Chat request whose last chunk carries the usage."""
    out["stream"] = True
    out["stream_options"] = {"include_usage": True}


def first_choice(body: JSON) -> JSON:
    """The choice a Chat reply answers with; a reply without one is a bad response."""
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        raise BridgeUpstreamFailed(ErrorClass.BAD_RESPONSE, "upstream reply has no choices")
    choice: JSON = choices[0]
    return choice
