"""Responses objects and the Responses event stream, built from a Chat upstream's chunks.

Event order follows the Responses streaming reference: response.created, response.in_progress,
then per output item output_item.added, (content_part.added, output_text.delta*,
output_text.done, content_part.done | function_call_arguments.delta*,
function_call_arguments.done), output_item.done, and finally response.completed (or
response.incomplete when the upstream hit its output cap, response.failed on an error).
"""

from __future__ import annotations

from typing import Any

import orjson

from switchyard.catalog import Dialect, ErrorClass
from switchyard.wire import Usage, encode, stream_error

from .base import JSON, BridgeContext
from .chat_reader import FromChatChunks, Text, ToolArgs, ToolStart, utf8
from .responses_tools import custom_input

INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}
TEXT_DELTA = (
    b"event: response.output_text.delta\ndata: "
    b'{"type":"response.output_text.delta","sequence_number":%d'
)
TEXT_DELTA_END = b'%b","logprobs":[]}\n\n'


def usage_object(usage: Usage | None) -> JSON | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def response_object(
    response_id: str,
    model: str,
    created_at: int,
    output: list[JSON],
    *,
    finish_reason: str | None,
    usage: Usage | None,
    error: JSON | None = None,
) -> JSON:
    """A Responses `response` object; finish_reason None means still in progress."""
    if error is not None:
        status = "failed"
    elif finish_reason is None:
        status = "in_progress"
    else:
        status = "incomplete" if finish_reason in INCOMPLETE else "completed"
    incomplete = (
        {"reason": INCOMPLETE[finish_reason]} if status == "incomplete" and finish_reason else None
    )
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": None,
        "max_output_tokens": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": None,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "truncation": "disabled",
        "usage": usage_object(usage),
        "metadata": {},
    }


class ResponsesFromChat(FromChatChunks):
    """StreamTranslator: Chat chunks in, Responses events out."""

    def __init__(self, ctx: BridgeContext) -> None:
        super().__init__(ctx)
        self._id = ctx.ids("resp_")
        self._created = ctx.clock()
        self._seq = 0
        self._output: list[JSON] = []  # finished items, by output_index
        self._open: JSON | None = None  # the item being streamed (its output_index is len(output))
        self._texting: JSON | None = None  # the open message after its first delta
        # its delta events, to be completed with a sequence number and the delta's JSON
        # string content (`bytes % (seq, raw)`)
        self._delta_event = b""

    def _content(self, happening: Text | ToolStart | ToolArgs) -> bytes:
        if isinstance(happening, Text):
            return self._text(happening.delta)
        if isinstance(happening, ToolStart):
            return self._close() + self._open_tool(happening)
        return self._args(happening.delta)

    def finish(self) -> bytes:
        if self._done:
            return b""
        if self._finish is None:
            return self.fail(ErrorClass.BAD_RESPONSE, "upstream stream ended before it finished")
        # an item cut by the output cap is incomplete, as in the Responses reference
        cut = "incomplete" if self._finish in INCOMPLETE else "completed"
        out = [self._start(), self._close(cut)]
        self._done = True
        body = self._response(self._output, self._finish)
        kind = "response.incomplete" if body["status"] == "incomplete" else "response.completed"
        out.append(self._event(kind, {"response": body}))
        return b"".join(out)

    def fail(self, error_class: ErrorClass, message: str) -> bytes:
        if self._done:
            return b""
        out = [self._start()]
        self._done = True
        # the same `error` event a native Responses stream ends with (wire.stream_error)
        out.append(stream_error(Dialect.OPENAI_RESPONSES, error_class, message, self._seq))
        self._seq += 1
        return b"".join(out)

    # -- building blocks ---------------------------------------------------------------------

    def _response(self, output: list[JSON], finish: str | None, error: JSON | None = None) -> JSON:
        return response_object(
            self._id,
            self._ctx.inbound_model,
            self._created,
            output,
            finish_reason=finish,
            usage=self._usage,
            error=error,
        )

    def _event(self, kind: str, fields: dict[str, Any]) -> bytes:
        data = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return encode(data, event=kind)

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        body = orjson.Fragment(orjson.dumps(self._response([], None)))  # (encoded once)
        return self._event("response.created", {"response": body}) + self._event(
            "response.in_progress", {"response": body}
        )

    def _where(self) -> dict[str, Any]:
        assert self._open is not None
        return {"item_id": self._open["id"], "output_index": len(self._output)}

    def feed_texts(self, texts: list[bytes]) -> bytes | None:
        """FromChatChunks.feed_texts, in fewer steps for one text while a message's text is
        streaming (most chunks of a stream). (Text after text: the reader's record of what
        came before stays as it is.)"""
        texting = self._open
        if len(texts) != 1 or texting is None or texting is not self._texting or self._done:
            return super().feed_texts(texts)
        raw = texts[0]
        if not raw:
            return b""
        if not (raw.isascii() or utf8(raw)):
            return None
        texting["text"].append(raw)
        seq = self._seq
        self._seq = seq + 1
        return self._delta_event % (seq, raw)

    def _text_run(self, texts: list[bytes]) -> bytes:
        """FromChatChunks._text_run: after the first text of a message, its deltas straight
        from the texts' bytes, in one step."""
        out = b""
        if self._open is None or self._open is not self._texting:
            out = self._text(texts[0].decode())
            texts = texts[1:]
            if not texts:
                return out
        assert self._open is not None
        self._open["text"].extend(texts)
        seq = self._seq
        self._seq = seq + len(texts)
        numbered = zip(range(seq, self._seq), texts, strict=True)
        return out + b"".join(map(self._delta_event.__mod__, numbered))

    def _delta(self, texting: JSON, delta: str) -> bytes:
        """The open message's next delta: the event of `_event`, from bytes kept for it."""
        if not delta:
            return b""
        texting["text"].append(delta.encode())
        seq = self._seq
        self._seq = seq + 1
        return self._delta_event % (seq, orjson.dumps(delta)[1:-1])

    def _text(self, delta: str) -> bytes:
        out = b""
        if self._open is not None and self._open is self._texting:
            return self._delta(self._open, delta)
        if self._open is None or self._open["type"] != "message":
            out += self._close()
            self._open = {
                "id": self._ctx.ids("msg_"),
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
            out += self._event(
                "response.output_item.added",
                {"output_index": len(self._output), "item": self._open},
            )
            # the text so far, in UTF-8 pieces (joined once, when the item closes)
            self._open = {**self._open, "content": [], "text": []}
            out += self._event(
                "response.content_part.added",
                {**self._where(), "content_index": 0, "part": _text_part("")},
            )
        self._open["text"].append(delta.encode())
        self._texting = self._open
        where = self._where()
        where_bytes = b"".join((b',"item_id":', orjson.dumps(where["item_id"]),
                                b',"output_index":', str(where["output_index"]).encode(),
                                b',"content_index":0,"delta":"'))  # fmt: skip
        self._delta_event = TEXT_DELTA + where_bytes.replace(b"%", b"%%") + TEXT_DELTA_END
        return out + self._event(
            "response.output_text.delta",
            {**where, "content_index": 0, "delta": delta, "logprobs": []},
        )

    def _open_tool(self, start: ToolStart) -> bytes:
        origin = self._ctx.tools.get(start.name)
        if origin is not None and origin.custom:
            # a custom tool's input is the upstream's one JSON string argument: it is sent
            # whole when the call is complete (it cannot be cut out of partial JSON)
            self._open = {
                "id": self._ctx.ids("ctc_"),
                "type": "custom_tool_call",
                "status": "in_progress",
                "call_id": start.call_id,
                "name": origin.name,
                "input": "",
            }
            shown = self._open
            self._open = {**self._open, "arguments": ""}
        else:
            self._open = {
                "id": self._ctx.ids("fc_"),
                "type": "function_call",
                "status": "in_progress",
                "call_id": start.call_id,
                "name": origin.name if origin is not None else start.name,
                "arguments": "",
            }
            if origin is not None and origin.namespace is not None:
                self._open["namespace"] = origin.namespace
            shown = self._open
        return self._event(
            "response.output_item.added", {"output_index": len(self._output), "item": shown}
        )

    def _args(self, delta: str) -> bytes:
        assert self._open is not None and self._open["type"] != "message"
        self._open = {**self._open, "arguments": self._open["arguments"] + delta}
        if self._open["type"] == "custom_tool_call":
            return b""
        return self._event(
            "response.function_call_arguments.delta", {**self._where(), "delta": delta}
        )

    def _close(self, status: str = "completed") -> bytes:
        if self._open is None:
            return b""
        where = self._where()
        item = self._open
        if item["type"] == "message":
            text = b"".join(item.pop("text")).decode()
            part = _text_part(text)
            out = self._event(
                "response.output_text.done",
                {**where, "content_index": 0, "text": text, "logprobs": []},
            )
            out += self._event(
                "response.content_part.done", {**where, "content_index": 0, "part": part}
            )
            item = {**item, "status": status, "content": [part]}
        elif item["type"] == "custom_tool_call":
            text = custom_input(item.pop("arguments"))
            item = {**item, "status": status, "input": text}
            out = self._event("response.custom_tool_call_input.delta", {**where, "delta": text})
            out += self._event("response.custom_tool_call_input.done", {**where, "input": text})
        else:
            item = {**item, "status": status, "arguments": item["arguments"] or "{}"}
            out = self._event(
                "response.function_call_arguments.done",
                {**where, "name": item["name"], "arguments": item["arguments"]},
            )
        out += self._event(
            "response.output_item.done", {"output_index": where["output_index"], "item": item}
        )
        self._output.append(item)
        self._open = None
        return out


def _text_part(text: str) -> JSON:
    return {"type": "output_text", "text": text, "annotations": []}
