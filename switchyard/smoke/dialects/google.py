"""Google Gemini ``generateContent`` (``POST {base}/models/{m}:generateContent``; the base URL
carries the API version, e.g. ``.../v1beta``). Streams use ``:streamGenerateContent?alt=sse``.

Bodies name ``model`` and ``stream`` like every other dialect's; ``wire.upstream_request`` moves
them into the path, exactly as the router does.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from switchyard.catalog import Dialect, ReasoningControl
from switchyard.wire import SSEEvent, google_usage
from switchyard.wire.google import function_calling, gemini_schema
from switchyard.wire.reasoning import merge, translate_effort
from switchyard.wire.usage import google_reasoning_tokens

from .base import Body, Reply, ToolCall, ToolSpec
from .bodies import RequestBodies, b64
from .replies import MalformedStreamError, expect_dict, object_event

THINKING_BUDGET = 1024  # a small explicit budget; 0 (off) and -1 (dynamic) are written alike


class Google(RequestBodies):
    dialect = Dialect.GOOGLE
    cap_field = "maxOutputTokens"
    turns_key = "contents"
    min_cap = 1
    reasoning_value = THINKING_BUDGET
    reasoning_control = ReasoningControl.GEMINI_BUDGET
    reasoning_controls: tuple[ReasoningControl, ...] = (ReasoningControl.GEMINI_BUDGET,)

    def _body(self, model: str, turns: list[Body], cap: int) -> Body:
        return {"model": model, "contents": turns, "generationConfig": {"maxOutputTokens": cap}}

    def turn(self, role: str, text: str) -> Body:
        return {"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]}

    def image_turn(self, prompt: str, png: bytes) -> Body:
        image = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}}
        return {"role": "user", "parts": [image, {"text": prompt}]}

    def audio_turn(self, prompt: str, wav: bytes) -> Body:
        audio = {"inlineData": {"mimeType": "audio/wav", "data": b64(wav)}}
        return {"role": "user", "parts": [audio, {"text": prompt}]}

    def file_turn(self, prompt: str, pdf: bytes, filename: str) -> Body:
        document = {"inlineData": {"mimeType": "application/pdf", "data": b64(pdf)}}
        return {"role": "user", "parts": [document, {"text": prompt}]}

    def tool(self, spec: ToolSpec) -> Body:
        return {"name": spec.name, "description": spec.description,
                "parameters": gemini_schema(spec.parameters)}  # fmt: skip

    def choice(self, forced: str | None) -> Any:
        return function_calling("ANY" if forced else "AUTO", [forced] if forced else None)

    def output_format(self, name: str, schema: dict[str, Any]) -> Body:
        return {"responseMimeType": "application/json", "responseSchema": gemini_schema(schema)}

    def conversation(
        self, model: str, turns: Sequence[tuple[str, str]], tools: Sequence[ToolSpec], cap: int
    ) -> Body:
        body = self._body(model, [self.turn(role, text) for role, text in turns], cap)
        if tools:
            body["tools"] = [{"functionDeclarations": [self.tool(t) for t in tools]}]
        return body

    def tools(
        self, model: str, prompt: str, tools: Sequence[ToolSpec], cap: int, forced: str | None
    ) -> Body:
        body = self.conversation(model, [("user", prompt)], tools, cap)
        body["toolConfig"] = self.choice(forced)
        return body

    def structured(
        self, model: str, prompt: str, name: str, schema: dict[str, Any], cap: int
    ) -> Body:
        return merge(self.text(model, prompt, cap),
                     {"generationConfig": self.output_format(name, schema)})  # fmt: skip

    def reasoning(self, model: str, prompt: str, cap: int, control: ReasoningControl) -> Body:
        # the very fragment the router writes (wire.reasoning), next to maxOutputTokens
        fragment = translate_effort(self.reasoning_value, control, self.dialect)
        return merge(self.text(model, prompt, max(cap, THINKING_BUDGET * 2)), fragment)

    def reply(self, body: Any) -> Reply:
        data = expect_dict(body, "generateContent response")
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            raise ValueError("response without candidates")
        reply = Reply()
        _candidate(reply, candidates[0])
        _usage(reply, data.get("usageMetadata"))
        return reply

    def stream_reply(self, events: Sequence[SSEEvent]) -> Reply:
        reply = Reply()
        if not events:
            raise MalformedStreamError("empty stream")
        for event in events:
            data = object_event(event)
            if reply.finish is not None:
                raise MalformedStreamError("events after the finishing chunk")
            candidates = data.get("candidates") or []
            if not isinstance(candidates, list):
                raise MalformedStreamError("candidates is not a list")
            if candidates:
                _candidate(reply, candidates[0])
            if data.get("usageMetadata") is not None:
                _usage(reply, data["usageMetadata"])
        if reply.finish is None:
            raise MalformedStreamError("stream did not end with a finishReason")
        return reply


def _candidate(reply: Reply, candidate: Any) -> None:
    if not isinstance(candidate, dict):
        raise ValueError("candidate is not an object")
    if candidate.get("finishReason"):
        reply.finish = str(candidate["finishReason"])
    content = candidate.get("content") or {}
    for part in content.get("parts") or []:
        if not isinstance(part, dict):
            continue
        if part.get("thought"):
            reply.reasoning_seen = True
        elif isinstance(part.get("text"), str):
            reply.text += part["text"]
        call = part.get("functionCall")
        if isinstance(call, dict) and isinstance(call.get("name"), str):
            args = call.get("args", {})  # absent for a call without arguments
            reply.tool_calls.append(
                ToolCall(call["name"], args if isinstance(args, dict) else None)
            )


def _usage(reply: Reply, usage: Any) -> None:
    reply.set_usage(google_usage(usage))
    reply.reasoning_tokens = google_reasoning_tokens(usage)
