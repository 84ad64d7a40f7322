"""Chat Completions chunks built from an Anthropic Messages upstream's event stream."""

from __future__ import annotations

from switchyard.catalog import ErrorClass
from switchyard.wire import AnthropicUsageMerger, SSEEvent, Usage

from .base import JSON, BridgeContext
from .chat_chunks import ChatStreamOut, chat_usage_object

# Anthropic stop_reason -> Chat finish_reason
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
UPSTREAM_ERRORS = {
    "rate_limit_error": ErrorClass.RATE_LIMITED,
    "overloaded_error": ErrorClass.UPSTREAM_ERROR,
    "timeout_error": ErrorClass.TIMEOUT,
}


class ChatFromMessages(ChatStreamOut):
    """StreamTranslator: Anthropic Messages events in, Chat chunks out."""

    def __init__(self, ctx: BridgeContext) -> None:
        super().__init__(ctx)
        self._blocks: dict[int, int] = {}  # content block index -> chat tool index
        self._args_seen: set[int] = set()
        self._stop: str | None = None
        self._usage = AnthropicUsageMerger()
        self.response_id: str | None = None

    def _event(self, data: JSON, event: SSEEvent) -> bytes:
        kind = data.get("type") or event.event
        if kind == "message_start":
            message = data.get("message") or {}
            self.response_id = message.get("id")
            self._usage.add(message.get("usage"))
            return self._role()
        if kind == "content_block_start":
            return self._block_start(data)
        if kind == "content_block_delta":
            return self._block_delta(data)
        if kind == "content_block_stop":
            index = self._blocks.get(int(data.get("index", -1)))
            if index is None or index in self._args_seen:
                return b""
            self._args_seen.add(index)
            return self._out.tool_args(index, "{}")
        if kind == "message_delta":
            self._stop = (data.get("delta") or {}).get("stop_reason") or self._stop
            self._usage.add(data.get("usage"))
            return b""
        if kind == "message_stop":
            self._completed = True
            usage = chat_usage_object(self.usage)
            reason = FINISH_REASONS.get(str(self._stop), "stop")
            return self._role() + self._out.end(reason, usage)
        if kind == "error":
            error_type = (data.get("error") or {}).get("type")
            error_class = UPSTREAM_ERRORS.get(str(error_type), ErrorClass.UPSTREAM_ERROR)
            return self.fail(error_class, "upstream reported an error mid-stream")
        return b""  # ping, and events a Chat caller has no field for

    @property
    def usage(self) -> Usage | None:
        """Messages usage is cumulative over events; ``wire.usage`` meaning."""
        return self._usage.usage

    def _block_start(self, data: JSON) -> bytes:
        block = data.get("content_block") or {}
        out = self._role()
        if block.get("type") == "tool_use":
            index = len(self._blocks)
            self._blocks[int(data.get("index", index))] = index
            out += self._out.tool_start(index, str(block.get("id")), str(block.get("name")))
        elif block.get("type") == "text" and block.get("text"):
            out += self._out.text(str(block["text"]))
        return out

    def _block_delta(self, data: JSON) -> bytes:
        delta = data.get("delta") or {}
        if delta.get("type") == "text_delta":
            return self._role() + self._out.text(str(delta.get("text", "")))
        if delta.get("type") == "input_json_delta" and delta.get("partial_json"):
            index = self._blocks.get(int(data.get("index", -1)))
            if index is None:
                return self.fail(
                    ErrorClass.BAD_RESPONSE, "upstream sent input for an unknown block"
                )
            self._args_seen.add(index)
            return self._out.tool_args(index, str(delta["partial_json"]))
        return b""  # thinking, signatures, citations
