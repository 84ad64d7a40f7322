"""Per-dialect probe adapters, looked up by dialect (a registry, never a chain of ifs)."""

from switchyard.catalog import Dialect

from .anthropic import Anthropic
from .base import Body, DialectAdapter, Reply, ToolCall, ToolSpec
from .google import Google
from .openai_chat import OpenAIChat
from .openai_responses import OpenAIResponses
from .replies import MalformedStreamError, StreamFailedError

ADAPTERS: dict[Dialect, DialectAdapter] = {
    a.dialect: a for a in (OpenAIChat(), OpenAIResponses(), Anthropic(), Google())
}


__all__ = [
    "ADAPTERS",
    "Body",
    "DialectAdapter",
    "MalformedStreamError",
    "Reply",
    "StreamFailedError",
    "ToolCall",
    "ToolSpec",
]
