"""Chat Completions chunks built from a Responses upstream's event stream."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import ErrorClass
from switchyard.wire import SSEEvent, Usage, openai_responses_usage

from .base import JSON, BridgeContext
from .chat_chunks import ChatStreamOut, chat_usage_object

INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}
UPSTREAM_CODES = {"rate_limit_exceeded": ErrorClass.RATE_LIMITED}


def finish_reason_of(response: JSON, has_calls: bool) -> str:
    if response.get("status") == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return INCOMPLETE_REASONS.get(str(reason), "length")
    return "tool_calls" if has_calls else "stop"


class ChatFromResponses(ChatStreamOut):
    """StreamTranslator: Responses events in, Chat chunks out."""

    def __init__(self, ctx: BridgeContext) -> None:
        super().__init__(ctx)
        self._tools: dict[int, int] = {}  # output_index -> chat tool index
        self._args_seen: set[int] = set()
        self.usage: Usage | None = None
        self.response_id: str | None = None

    def _event(self, data: JSON, event: SSEEvent) -> bytes:
        kind = data.get("type") or event.event
        handler = getattr(self, "_on_" + str(kind).replace(".", "_"), None)
        if handler is None:
            return b""  # reasoning, annotations and other events a Chat caller has no field for
        out: bytes = handler(data)
        return out

    # -- event handlers (named after the Responses event types) -------------------------------

    def _on_response_created(self, data: JSON) -> bytes:
        self.response_id = (data.get("response") or {}).get("id") or self.response_id
        return self._role()

    def _on_response_output_item_added(self, data: JSON) -> bytes:
        item = data.get("item") or {}
        if item.get("type") != "function_call":
            return self._role()
        index = len(self._tools)
        self._tools[int(data.get("output_index", index))] = index
        out = self._role() + self._out.tool_start(
            index, str(item.get("call_id")), str(item.get("name"))
        )
        if item.get("arguments"):
            self._args_seen.add(index)
            out += self._out.tool_args(index, str(item["arguments"]))
        return out

    def _on_response_output_text_delta(self, data: JSON) -> bytes:
        return self._role() + self._out.text(str(data.get("delta", "")))

    def _on_response_refusal_delta(self, data: JSON) -> bytes:
        return self._role() + self._out.delta({"refusal": str(data.get("delta", ""))})

    def _on_response_function_call_arguments_delta(self, data: JSON) -> bytes:
        index = self._tools.get(int(data.get("output_index", -1)))
        if index is None:
            return self.fail(ErrorClass.BAD_RESPONSE, "upstream sent arguments for an unknown call")
        if not data.get("delta"):
            return b""
        self._args_seen.add(index)
        return self._out.tool_args(index, str(data["delta"]))

    def _on_response_output_item_done(self, data: JSON) -> bytes:
        index = self._tools.get(int(data.get("output_index", -1)))
        if index is None or index in self._args_seen:
            return b""
        self._args_seen.add(index)  # an upstream that sent the arguments only whole
        return self._out.tool_args(index, str((data.get("item") or {}).get("arguments") or "{}"))

    def _on_response_completed(self, data: JSON) -> bytes:
        response = data.get("response") or {}
        self.response_id = response.get("id") or self.response_id
        self._completed = True
        self.usage = openai_responses_usage(response.get("usage"))
        usage_obj = chat_usage_object(self.usage)
        return self._role() + self._out.end(
            finish_reason_of(response, bool(self._tools)), usage_obj
        )

    _on_response_incomplete = _on_response_completed

    def _on_response_failed(self, data: JSON) -> bytes:
        error = (data.get("response") or {}).get("error") or {}
        return self.fail(_error_class(error), "upstream response failed")

    def _on_error(self, data: JSON) -> bytes:
        return self.fail(_error_class(data), "upstream reported an error mid-stream")


def _error_class(error: Any) -> ErrorClass:
    code = error.get("code") if isinstance(error, dict) else None
    return UPSTREAM_CODES.get(str(code), ErrorClass.UPSTREAM_ERROR)
