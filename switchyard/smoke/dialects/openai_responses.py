"""OpenAI Responses (`POST {base}/responses`)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

from switchyard.catalog import Dialect, ReasoningControl
from switchyard.wire import SSEEvent, openai_responses_usage

from .base import Body, Reply, ToolCall, ToolSpec
from .bodies import RequestBodies, data_url
from .replies import MalformedStreamError, expect_dict, parse_arguments, read_usage, typed_event

OWN_CALLS = frozenset({"function_call", "custom_tool_call"})  # the caller's tools, not hosted
_TERMINAL = {"response.completed", "response.incomplete"}
_FAILED = {"response.failed", "error"}


def _usage(reply: Reply, usage: Any) -> None:
    read_usage(reply, usage, openai_responses_usage, "output_tokens_details")


class OpenAIResponses(RequestBodies):
    dialect = Dialect.OPENAI_RESPONSES
    turns_key = "input"
    # hosted tools of the Responses reference whose call shows in the output
    hosted_tools = frozenset(
        {"web_search", "web_search_preview", "file_search", "code_interpreter"}
    )
    fixed: ClassVar[Body] = {"store": False}  # probes leave nothing stored upstream
    cap_field = "max_output_tokens"
    min_cap = 16  # OpenAI refuses max_output_tokens below 16
    reasoning_control = ReasoningControl.OPENAI_EFFORT
    reasoning_controls: tuple[ReasoningControl, ...] = (
        ReasoningControl.OPENAI_EFFORT,
        ReasoningControl.OPENROUTER_EFFORT,
    )

    def turn(self, role: str, text: str) -> Body:
        kind = "output_text" if role == "assistant" else "input_text"
        return {"role": role, "content": [{"type": kind, "text": text}]}

    def image_turn(self, prompt: str, png: bytes) -> Body:
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        parts = [{"type": "input_text", "text": prompt}, {"type": "input_image", "image_url": url}]
        return {"role": "user", "content": parts}

    def file_turn(self, prompt: str, pdf: bytes, filename: str) -> Body:
        file = {"type": "input_file", "filename": filename,
                "file_data": data_url("application/pdf", pdf)}  # fmt: skip
        return {"role": "user", "content": [file, {"type": "input_text", "text": prompt}]}

    def tool(self, spec: ToolSpec) -> Body:
        return {"type": "function", "name": spec.name, "description": spec.description,
                "parameters": spec.parameters}  # fmt: skip

    def choice(self, forced: str | None) -> Any:
        return {"type": "function", "name": forced} if forced else "auto"

    def output_format(self, name: str, schema: dict[str, Any]) -> Body:
        return {"text": {"format": {"type": "json_schema", "name": name, "schema": schema,
                                    "strict": True}}}  # fmt: skip

    def _from_response(self, data: dict[str, Any], reply: Reply) -> None:
        status = data.get("status")
        details = data.get("incomplete_details")
        if status == "incomplete" and isinstance(details, dict):
            reply.finish = str(details.get("reason") or "incomplete")
        elif isinstance(status, str):
            reply.finish = status
        for item in data.get("output") or []:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "message":
                for part in item.get("content") or []:
                    if isinstance(part, dict) and part.get("type") == "output_text":
                        reply.text += str(part.get("text") or "")
            elif kind == "function_call" and isinstance(item.get("name"), str):
                reply.tool_calls.append(
                    ToolCall(item["name"], parse_arguments(item.get("arguments")))
                )
            elif kind == "reasoning":
                reply.reasoning_seen = True
            elif isinstance(kind, str) and kind.endswith("_call") and kind not in OWN_CALLS:
                reply.hosted_calls.append(kind.removesuffix("_call"))  # e.g. web_search_call
        _usage(reply, data.get("usage"))

    def reply(self, body: Any) -> Reply:
        data = expect_dict(body, "response")
        if data.get("object") not in (None, "response"):
            raise ValueError("not a response object")
        if not isinstance(data.get("output"), list):
            raise ValueError("response without output")
        reply = Reply()
        self._from_response(data, reply)
        return reply

    def stream_reply(self, events: Sequence[SSEEvent]) -> Reply:
        reply = Reply()
        kinds: list[str] = []
        final: dict[str, Any] | None = None
        for event in events:
            data = typed_event(event, _FAILED)
            kind = data["type"]
            if final is not None:
                raise MalformedStreamError("events after the terminal event")
            kinds.append(kind)
            if kind in _TERMINAL:
                response = data.get("response")
                if not isinstance(response, dict):
                    raise MalformedStreamError("terminal event without a response")
                final = response
        if not kinds or kinds[0] != "response.created":
            raise MalformedStreamError("stream did not start with response.created")
        if final is None:
            raise MalformedStreamError("stream ended without response.completed")
        self._from_response(final, reply)
        if not reply.text:
            # Some servers send the text only as deltas; rebuild it from them.
            reply.text = "".join(
                str(e.json().get("delta") or "")
                for e in events
                if e.json().get("type") == "response.output_text.delta"
            )
        return reply
