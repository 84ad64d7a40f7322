"""Dialect bridges: pure translators between API skins, one module per direction."""

from __future__ import annotations

from switchyard.catalog import BridgeDirection

from .base import (
    Bridge,
    BridgeContext,
    BridgeRefused,
    BridgeUpstreamFailed,
    IdFactory,
    StreamTranslator,
    counting_ids,
    random_ids,
)
from .chat_to_google import ChatToGoogle
from .chat_to_messages import ChatToMessages
from .chat_to_responses import ChatToResponses
from .messages_to_chat import MessagesToChat
from .responses_to_chat import ResponsesToChat

BRIDGES: dict[BridgeDirection, Bridge] = {
    b.direction: b
    for b in (
        ResponsesToChat(),
        ChatToResponses(),
        MessagesToChat(),
        ChatToMessages(),
        ChatToGoogle(),
    )
}


def get_bridge(direction: BridgeDirection) -> Bridge:
    return BRIDGES[direction]


__all__ = [
    "BRIDGES",
    "Bridge",
    "BridgeContext",
    "BridgeRefused",
    "BridgeUpstreamFailed",
    "IdFactory",
    "StreamTranslator",
    "counting_ids",
    "get_bridge",
    "random_ids",
]
