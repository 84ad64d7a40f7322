"""Chat Completions output, shared by the bridges that serve Chat callers from another skin
(chatToResponses, chatToMessages): completion objects, stream chunks, usage, error chunks."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect, ErrorClass
from switchyard.wire import DONE, SSEEvent, Usage, encode, stream_error

from .base import JSON, BridgeContext


def chat_usage_object(usage: Usage | None) -> JSON | None:
    """``wire.usage`` meaning, written as Chat's usage object (prompt tokens include cache)."""
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def completion(
    ctx: BridgeContext,
    created: int,
    message: JSON,
    finish_reason: str,
    usage: JSON | None,
) -> JSON:
    body: JSON = {
        "id": ctx.ids("chatcmpl-"),
        "object": "chat.completion",
        "created": created,
        "model": ctx.inbound_model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def chat_message(text: str | None, tool_calls: list[JSON], refusal: str | None = None) -> JSON:
    message: JSON = {"role": "assistant", "content": text, "refusal": refusal}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


class ChunkWriter:
    """Frames chat.completion.chunk events with one id, model and timestamp per stream."""

    def __init__(self, ctx: BridgeContext) -> None:
        self._id = ctx.ids("chatcmpl-")
        self._created = ctx.clock()
        self._model = ctx.inbound_model
        self._want_usage = ctx.want_usage

    def _frame(self, choices: list[JSON], **extra: Any) -> bytes:
        chunk = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
            **extra,
        }
        return encode(chunk)

    def delta(self, delta: JSON, finish_reason: str | None = None) -> bytes:
        return self._frame(
            [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )

    def role(self) -> bytes:
        return self.delta({"role": "assistant", "content": ""})

    def text(self, text: str) -> bytes:
        return self.delta({"content": text})

    def tool_start(self, index: int, call_id: str, name: str) -> bytes:
        call = {"index": index, "id": call_id, "type": "function"}
        return self.delta({"tool_calls": [{**call, "function": {"name": name, "arguments": ""}}]})

    def tool_args(self, index: int, arguments: str) -> bytes:
        return self.delta({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})

    def end(self, finish_reason: str, usage: JSON | None) -> bytes:
        out = self.delta({}, finish_reason)
        if self._want_usage and usage is not None:
            out += self._frame([], usage=usage)
        return out

    @staticmethod
    def done() -> bytes:
        return DONE

    @staticmethod
    def error(error_class: ErrorClass, message: str) -> bytes:
        """The mid-stream error chunk the openai SDK raises as an APIError."""
        return stream_error(Dialect.OPENAI_CHAT, error_class, message)


class ChatStreamOut:
    """What every translator toward a Chat caller shares: the chunk writer, the role chunk sent
    once, and a stream that ends exactly once (the [DONE] after a finished answer, or the error
    chunk). Subclasses set ``_completed`` when the upstream said the answer is whole."""

    def __init__(self, ctx: BridgeContext) -> None:
        self._out = ChunkWriter(ctx)
        self._started = False
        self._completed = False
        self._done = False

    def feed(self, event: SSEEvent) -> bytes:
        """One upstream event: a JSON object, else the stream ends as BadResponse."""
        if self._done or event.done or not event.data.strip():
            return b""
        try:
            data = event.json()
        except ValueError:
            return self.fail(ErrorClass.BAD_RESPONSE, "upstream sent a malformed stream event")
        if not isinstance(data, dict):
            return self.fail(ErrorClass.BAD_RESPONSE, "upstream sent a malformed stream event")
        return self._event(data, event)

    def _event(self, data: JSON, event: SSEEvent) -> bytes:
        raise NotImplementedError

    def finish(self) -> bytes:
        if self._done:
            return b""
        if not self._completed:
            return self.fail(ErrorClass.BAD_RESPONSE, "upstream stream ended before it finished")
        self._done = True
        return self._out.done()

    def fail(self, error_class: ErrorClass, message: str) -> bytes:
        if self._done:
            return b""
        self._done = True
        return self._role() + self._out.error(error_class, message)

    def _role(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._out.role()
