"""Native dialect adapters, one per caller dialect, looked up by dialect or inbound path."""

from switchyard.catalog import Dialect

from .anthropic import MessagesAdapter
from .base import DialectAdapter
from .google import GoogleAdapter
from .openai_chat import ChatAdapter
from .openai_responses import ResponsesAdapter

ADAPTERS: dict[Dialect, DialectAdapter] = {
    a.dialect: a for a in (ChatAdapter(), ResponsesAdapter(), MessagesAdapter(), GoogleAdapter())
}


def get_adapter(dialect: Dialect) -> DialectAdapter:
    return ADAPTERS[dialect]


__all__ = ["ADAPTERS", "DialectAdapter", "get_adapter"]
