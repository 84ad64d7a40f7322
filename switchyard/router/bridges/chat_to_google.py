"""chatToGoogle: Chat Completions callers on a Gemini ``generateContent`` upstream.

Translates leading system messages (``systemInstruction``), turns (``assistant`` -> ``model``,
consecutive same-role turns merged), images (base64 data URLs -> ``inlineData``), tool calls
(``functionCall``) and tool results (``functionResponse``, named after the call they answer),
function tools (``functionDeclarations`` with the schema in Gemini's Schema form), tool_choice
(``toolConfig``: required -> ANY, a named function -> ANY limited to it), caps, temperature,
top_p, stop, seed, penalties, structured output (``responseSchema``) and reasoning effort
(``thinkingConfig.thinkingBudget`` through ``wire.reasoning``: none/0 off, -1 dynamic). Refused:
n > 1, http(s) image URLs (Gemini fetches none), system messages after the conversation
started, ``parallel_tool_calls: false`` (Gemini has no such switch), invalid tool-call JSON.
The body names ``model`` and ``stream``; ``wire.upstream_request`` moves them into the path.
"""

from __future__ import annotations

import re

import orjson

from switchyard.catalog import BridgeDirection, Dialect, ErrorClass
from switchyard.wire import google_usage, reasoning
from switchyard.wire.google import function_calling, gemini_schema

from .base import JSON, BridgeContext, BridgeRefused, BridgeUpstreamFailed
from .chat_chunks import chat_message, chat_usage_object, completion
from .chat_messages import (
    add_turn,
    chat_tool_choice,
    function_tools,
    output_cap,
    split_system,
    user_parts,
)
from .chat_stream_google import (
    ChatFromGoogle,
    arguments,
    call_id,
    finish_reason,
    parts_of,
    signature_of,
)
from .policy import CHAT_TO_GOOGLE
from .reading import as_dict, as_list, reasoning_fields, text_of

DIRECTION = BridgeDirection.CHAT_TO_GOOGLE
_DATA_URL = re.compile(r"^data:([A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+);base64,(.*)$", re.S)
MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}
MAX_STOP = 5  # Gemini takes at most five stop sequences


class ChatToGoogle:
    direction = DIRECTION
    upstream_path = "/models"  # the model and method follow (wire.upstream_request)

    def request(self, body: JSON, ctx: BridgeContext) -> JSON:
        ctx.dropped[:] = CHAT_TO_GOOGLE.apply(body)
        if body.get("n") not in (None, 1):
            raise BridgeRefused(f"n > 1 is not supported through {DIRECTION.value}")
        if body.get("parallel_tool_calls") is False and body.get("tools"):
            raise BridgeRefused(
                "parallel_tool_calls: false is not supported through chatToGoogle "
                "(Gemini has no switch for it)"
            )
        system, rest = split_system(body.get("messages") or [])
        out: JSON = {"model": ctx.upstream_model, "contents": _contents(rest)}
        if system:
            out["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
        if body.get("tools"):
            declarations = [
                _declaration(fn) for fn in function_tools(body["tools"], DIRECTION.value)
            ]
            out["tools"] = [{"functionDeclarations": declarations}]
        if body.get("tool_choice") is not None:
            mode, name = chat_tool_choice(body["tool_choice"])
            out["toolConfig"] = function_calling(MODES[mode], [name] if name else None)
        config = _generation(body)
        if config:
            out["generationConfig"] = config
        effort = reasoning.read_effort(Dialect.OPENAI_CHAT, body)
        out = reasoning.merge(out, reasoning_fields(effort, ctx, Dialect.GOOGLE))
        if body.get("stream"):
            out["stream"] = True
        return out

    def response(self, body: JSON, ctx: BridgeContext) -> JSON:
        if body.get("error") is not None:
            raise BridgeUpstreamFailed(ErrorClass.UPSTREAM_ERROR, "upstream reported an error")
        candidates = body.get("candidates") or []
        candidate = candidates[0] if candidates else {}
        texts: list[str] = []
        calls: list[JSON] = []
        for part in parts_of(candidate):
            if part.get("thought"):
                continue
            call = part.get("functionCall")
            if isinstance(call, dict):
                fn = {"name": str(call.get("name")), "arguments": arguments(call)}
                calls.append({"id": call_id(ctx, part), "type": "function", "function": fn})
            elif isinstance(part.get("text"), str):
                texts.append(part["text"])
        if not candidates:  # the prompt was blocked (promptFeedback)
            reason = "content_filter"
        else:
            reason = finish_reason(candidate.get("finishReason"), bool(calls))
        usage = chat_usage_object(google_usage(body.get("usageMetadata")))
        message = chat_message("".join(texts) if texts else None, calls)
        return completion(ctx, ctx.clock(), message, reason, usage)

    def stream(self, ctx: BridgeContext) -> ChatFromGoogle:
        return ChatFromGoogle(ctx)


def _declaration(fn: JSON) -> JSON:
    out: JSON = {"name": fn["name"]}
    if fn.get("description"):
        out["description"] = fn["description"]
    params = gemini_schema(fn.get("parameters"))
    if params.get("properties"):  # Gemini refuses an OBJECT schema without properties
        out["parameters"] = params
    return out


def _generation(body: JSON) -> JSON:
    config: JSON = {}
    cap = output_cap(body)
    if cap is not None:
        config["maxOutputTokens"] = cap
    for chat, google in (("temperature", "temperature"), ("top_p", "topP"), ("seed", "seed"),
                         ("presence_penalty", "presencePenalty"),
                         ("frequency_penalty", "frequencyPenalty")):  # fmt: skip
        if body.get(chat) is not None:
            config[google] = body[chat]
    stop = body.get("stop")
    if stop:
        stops = [stop] if isinstance(stop, str) else as_list(stop, "stop")
        if len(stops) > MAX_STOP:
            raise BridgeRefused(f"at most {MAX_STOP} stop sequences through chatToGoogle")
        config["stopSequences"] = stops
    fmt = body.get("response_format")
    if fmt is not None:
        kind = as_dict(fmt, "response_format").get("type")
        if kind == "json_object":
            config["responseMimeType"] = "application/json"
        elif kind == "json_schema":
            spec = as_dict(fmt.get("json_schema"), "response_format.json_schema")
            config["responseMimeType"] = "application/json"
            config["responseSchema"] = gemini_schema(spec.get("schema") or {"type": "object"})
        elif kind != "text":
            raise BridgeRefused(f"response_format type {kind!r} is not supported")
    return config


def _contents(messages: list[JSON]) -> list[JSON]:
    names: dict[str, str] = {}  # tool call id -> function name (functionResponse needs it)
    contents: list[JSON] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            raise BridgeRefused(
                f"messages[{i}]: system messages after the conversation started are not "
                "supported through chatToGoogle"
            )
        if role == "user":
            content = message.get("content")
            turn, parts = "user", user_parts(content, i, DIRECTION.value, _text_part, _inline_image)
        elif role == "assistant":
            turn, parts = "model", _model_parts(message, i, names)
        elif role == "tool":
            name = names.get(str(message.get("tool_call_id")))
            if name is None:
                raise BridgeRefused(f"messages[{i}]: tool result for an unknown tool call id")
            text = text_of(message.get("content"), f"messages[{i}]")
            result = {"name": name, "response": _result(text)}
            turn, parts = "user", [{"functionResponse": result}]
        else:
            raise BridgeRefused(
                f"messages[{i}]: role {role!r} is not supported through chatToGoogle"
            )
        if not parts:
            continue
        add_turn(contents, turn, "parts", parts)
    if not contents:
        raise BridgeRefused("messages must hold at least one user message")
    return contents


def _result(text: str) -> JSON:
    """A function response must be an object: a JSON object result as is, else wrapped."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"result": text}
    return value if isinstance(value, dict) else {"result": value}


def _text_part(text: str) -> JSON:
    return {"text": text}


def _inline_image(url: str, _detail: str | None, where: str) -> JSON:
    match = _DATA_URL.match(url)
    if match is None:
        raise BridgeRefused(f"{where}: images must be base64 data URLs through chatToGoogle")
    return {"inlineData": {"mimeType": match.group(1), "data": match.group(2)}}


def _model_parts(message: JSON, i: int, names: dict[str, str]) -> list[JSON]:
    content = message.get("content")
    text = text_of(content, f"messages[{i}]") if content else ""
    parts: list[JSON] = [{"text": text}] if text else []
    for call in as_list(message.get("tool_calls") or [], f"messages[{i}].tool_calls"):
        fn = as_dict(as_dict(call, f"messages[{i}].tool_calls[]").get("function"),
                     f"messages[{i}].tool_calls[].function")  # fmt: skip
        try:
            args = orjson.loads(fn.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            raise BridgeRefused(f"messages[{i}]: tool call arguments are not valid JSON") from None
        if not isinstance(args, dict):
            raise BridgeRefused(f"messages[{i}]: tool call arguments must be a JSON object")
        name = str(fn.get("name"))
        names[str(call.get("id"))] = name
        part: JSON = {"functionCall": {"name": name, "args": args}}
        signature = signature_of(str(call.get("id")))
        if signature is not None:  # Gemini checks the signature of its own earlier call
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts
