"""Chat Completions chunks built from a Gemini ``streamGenerateContent?alt=sse`` stream.

Every Gemini event is a whole GenerateContentResponse: text parts become content deltas, a
``functionCall`` part (always whole) becomes one tool call with its arguments in one delta,
``thought`` parts are left out, and the event whose candidate carries ``finishReason`` ends the
answer with the finish chunk and the usage chunk. A stream that ends before it is cut short
(BadResponse); an ``error`` object in the stream ends it with the Chat error chunk.
"""

from __future__ import annotations

from typing import Any

import orjson

from switchyard.catalog import ErrorClass
from switchyard.wire import SSEEvent, Usage, google_usage
from switchyard.wire.google import FINISH_REASONS

from .base import JSON, BridgeContext
from .chat_chunks import ChatStreamOut, chat_usage_object

# google.rpc status of an in-stream error -> the class the caller sees
UPSTREAM_ERRORS = {
    "RESOURCE_EXHAUSTED": ErrorClass.RATE_LIMITED,
    "DEADLINE_EXCEEDED": ErrorClass.TIMEOUT,
}


def finish_reason(reason: Any, calls: bool) -> str:
    """Gemini ends a function call with STOP; Chat says tool_calls."""
    if calls and reason in (None, "STOP"):
        return "tool_calls"
    return FINISH_REASONS.get(str(reason), "stop")


def parts_of(candidate: Any) -> list[JSON]:
    content = candidate.get("content") if isinstance(candidate, dict) else None
    parts = content.get("parts") if isinstance(content, dict) else None
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


SIGNATURE_MARK = "."  # never in a base64 signature nor in our id prefixes


def call_id(ctx: BridgeContext, part: JSON) -> str:
    """A Chat tool-call id that carries the part's ``thoughtSignature`` (Gemini needs it echoed
    on the call when the conversation continues; Chat callers echo ids verbatim)."""
    signature = part.get("thoughtSignature")
    base = ctx.ids("call_")
    return f"{base}{SIGNATURE_MARK}{signature}" if isinstance(signature, str) else base


def signature_of(tool_call_id: str) -> str | None:
    _, mark, signature = tool_call_id.partition(SIGNATURE_MARK)
    return signature if mark and signature else None


def arguments(call: JSON) -> str:
    args = call.get("args")
    return orjson.dumps(args if isinstance(args, dict) else {}).decode()


class ChatFromGoogle(ChatStreamOut):
    """StreamTranslator: Gemini GenerateContentResponse events in, Chat chunks out."""

    def __init__(self, ctx: BridgeContext) -> None:
        super().__init__(ctx)
        self._ctx = ctx
        self._calls = 0
        self._usage: Usage | None = None
        self.response_id: str | None = None

    @property
    def usage(self) -> Usage | None:
        return self._usage

    def _event(self, data: JSON, event: SSEEvent) -> bytes:
        if data.get("error") is not None:
            status = (
                (data["error"] or {}).get("status") if isinstance(data["error"], dict) else None
            )
            error_class = UPSTREAM_ERRORS.get(str(status), ErrorClass.UPSTREAM_ERROR)
            return self.fail(error_class, "upstream reported an error mid-stream")
        if self._completed:
            return b""
        if isinstance(data.get("responseId"), str):
            self.response_id = data["responseId"]
        if data.get("usageMetadata") is not None:
            self._usage = google_usage(data["usageMetadata"])
        out = self._role()
        candidates = data.get("candidates") or []
        candidate = candidates[0] if isinstance(candidates, list) and candidates else {}
        for part in parts_of(candidate):
            if part.get("thought"):
                continue
            call = part.get("functionCall")
            if isinstance(call, dict):
                index, self._calls = self._calls, self._calls + 1
                cid = call_id(self._ctx, part)
                out += self._out.tool_start(index, cid, str(call.get("name")))
                out += self._out.tool_args(index, arguments(call))
            elif isinstance(part.get("text"), str) and part["text"]:
                out += self._out.text(part["text"])
        feedback = data.get("promptFeedback")
        blocked = isinstance(feedback, dict) and feedback.get("blockReason") is not None
        reason = candidate.get("finishReason") if isinstance(candidate, dict) else None
        if reason or blocked:
            self._completed = True
            final = "content_filter" if blocked else finish_reason(reason, self._calls > 0)
            out += self._out.end(final, chat_usage_object(self._usage))
        return out
