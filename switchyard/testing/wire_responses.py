"""OpenAI Responses on the wire: the response object and its typed, numbered event stream."""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect

from .media import responses_media
from .simulate import Ask, Reply, chunks
from .wire_base import cap_of, common_fields, frame, has_part, input_size, new_id, now, schema_of
from .wire_chat import ERRORS, error_body, tool_fields

# tools the caller runs itself (namespace: Codex's groups of function tools); others are hosted
CLIENT_TOOL_TYPES = frozenset({None, "function", "custom", "namespace"})


class ResponsesWire:
    dialect = Dialect.OPENAI_RESPONSES
    suffix = "/responses"

    def parse(self, body: dict[str, Any]) -> Ask:
        media = responses_media(body.get("input"))  # raises MediaError as the service refuses
        text = body.get("text")
        schema = schema_of(text.get("format") if isinstance(text, dict) else None)
        effort = (body.get("reasoning") or {}).get("effort")
        hosted = tuple(
            str(t["type"])
            for t in body.get("tools") or []
            if isinstance(t, dict) and t.get("type") not in CLIENT_TOOL_TYPES
        )
        return Ask(
            **common_fields(body, media),
            **tool_fields(body, nested=False),
            hosted=hosted,
            schema=schema,
            has_image=has_part(body.get("input"), "input_image"),
            cap=cap_of(body, "max_output_tokens"),
            reasoning=effort not in (None, "none"),
            input_chars=input_size(body.get("input"), body.get("instructions"), body.get("tools")),
        )

    @staticmethod
    def _items(ask: Ask, reply: Reply, ids: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if reply.reasoning_tokens:
            items.append({"id": ids["rs"], "type": "reasoning", "summary": []})
        for n, tool in enumerate(reply.hosted_calls):
            # e.g. a web_search_call: the search the provider ran, before the answer
            action = {"type": "search", "query": "synthetic query"}
            items.append({"id": f"{ids['ws']}_{n}", "type": f"{tool}_call",
                          "status": "completed", "action": action})  # fmt: skip
        for n, call in enumerate(reply.calls):
            items.append(
                {
                    "id": ids["fc"] + (f"_{n}" if n else ""),
                    "type": "function_call",
                    "status": "completed",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.arguments,
                }
            )
        if not reply.calls and (reply.text or reply.finish != "length"):
            items.append(
                {
                    "id": ids["msg"],
                    "type": "message",
                    "status": "completed" if reply.finish != "length" else "incomplete",
                    "role": "assistant",
                    "content": [
                        {
                            "type": "output_text",
                            "text": reply.text,
                            "annotations": [],
                            "logprobs": [],
                        }
                    ],
                }
            )
        return items

    def _response(
        self, ask: Ask, reply: Reply | None, body: dict[str, Any], rid: str, ids: dict[str, str]
    ) -> dict[str, Any]:
        done = reply is not None
        incomplete = done and reply is not None and reply.finish == "length"
        out: dict[str, Any] = {
            "id": rid,
            "object": "response",
            "created_at": now(),
            "status": ("incomplete" if incomplete else "completed") if done else "in_progress",
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": ask.cap,
            "model": ask.model,
            "output": self._items(ask, reply, ids) if reply is not None else [],
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": None,
            "user": None,
            "metadata": body.get("metadata") or {},
        }
        if reply is not None and reply.usage:
            out["usage"] = {
                "input_tokens": reply.input_tokens + reply.cached_tokens,
                "input_tokens_details": {"cached_tokens": reply.cached_tokens},
                "output_tokens": reply.output_tokens,
                "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
                "total_tokens": reply.input_tokens + reply.cached_tokens + reply.output_tokens,
            }
        return out

    @staticmethod
    def _ids() -> dict[str, str]:
        return {
            "rs": new_id("rs_"),
            "fc": new_id("fc_"),
            "msg": new_id("msg_"),
            "ws": new_id("ws_"),
        }

    def complete(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        return self._response(ask, reply, body, new_id("resp_"), self._ids())

    def stream(self, ask: Ask, reply: Reply, body: dict[str, Any]) -> list[bytes]:
        rid, ids = new_id("resp_"), self._ids()
        frames: list[bytes] = []

        def emit(kind: str, **fields: Any) -> None:
            frames.append(frame({"type": kind, "sequence_number": len(frames), **fields}, kind))

        skeleton = self._response(ask, None, body, rid, ids)
        emit("response.created", response=skeleton)
        emit("response.in_progress", response=skeleton)
        for index, item in enumerate(self._items(ask, reply, ids)):
            if item["type"] == "reasoning" or (item["type"].endswith("_call") and "action" in item):
                emit("response.output_item.added", output_index=index, item=item)
                emit("response.output_item.done", output_index=index, item=item)
            elif item["type"] == "function_call":
                emit(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "arguments": ""},
                )
                args = item["arguments"]
                for i in range(0, len(args), 16):
                    emit(
                        "response.function_call_arguments.delta",
                        item_id=item["id"],
                        output_index=index,
                        delta=args[i : i + 16],
                    )
                emit(
                    "response.function_call_arguments.done",
                    item_id=item["id"],
                    output_index=index,
                    name=item["name"],
                    arguments=args,
                )
                emit("response.output_item.done", output_index=index, item=item)
            else:
                part = item["content"][0]
                where = {"item_id": item["id"], "output_index": index, "content_index": 0}
                emit(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "content": []},
                )
                emit("response.content_part.added", **where, part={**part, "text": ""})
                for piece in chunks(part["text"]):
                    emit("response.output_text.delta", **where, delta=piece, logprobs=[])
                emit("response.output_text.done", **where, text=part["text"], logprobs=[])
                emit("response.content_part.done", **where, part=part)
                emit("response.output_item.done", output_index=index, item=item)
        final = self._response(ask, reply, body, rid, ids)
        kind = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
        emit(kind, response=final)
        return frames

    def error(self, kind: str, message: str) -> dict[str, Any]:
        return error_body(kind, message)

    def stream_error(self, kind: str, message: str) -> bytes:
        etype, code, default = ERRORS.get(kind, ERRORS["server"])
        data = {
            "type": "error",
            "code": code or etype,
            "message": message or default,
            "param": None,
            "sequence_number": 0,
        }
        return frame(data, "error")
