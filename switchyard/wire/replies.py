"""The minimal shape of a whole (non-streamed) reply, per dialect: a 200 without it is a
broken upstream (BadResponse), not an answer to relay."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect

# The list every successful reply of the dialect carries, and what its items must be.
REPLY_LIST: dict[Dialect, str] = {
    Dialect.OPENAI_CHAT: "choices",
    Dialect.OPENAI_RESPONSES: "output",
    Dialect.ANTHROPIC: "content",
    Dialect.GOOGLE: "candidates",
}


def reply_ok(dialect: Dialect, body: Any) -> bool:
    """True when ``body`` is an object whose reply list holds only objects."""
    if not isinstance(body, dict):
        return False
    if dialect is Dialect.GOOGLE and "candidates" not in body:
        # a blocked prompt is answered with promptFeedback and no candidates at all
        return isinstance(body.get("promptFeedback"), dict)
    items = body.get(REPLY_LIST[dialect])
    return isinstance(items, list) and all(isinstance(i, dict) for i in items)
