"""Scripted conversations (scenario `script`): an agent's full tool round trip.

Turn N of a conversation is the number of tool results the request carries, read here from each
skin's own request shape (on purpose not through switchyard.wire: a test double must not share
the code it checks). Step N either calls a tool the request offers or answers with text that
may quote the last tool result, so a test can prove the upstream saw what the agent's tool did.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from switchyard.catalog import Dialect

from .scenario import Behaviour
from .simulate import Ask, Reply, ToolCall


def _text(content: Any) -> str:
    """A tool result's text: a string, or the text parts of a list of parts/blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") in ("text", "input_text", "output_text")
        )
    return ""


def tool_results(dialect: Dialect, body: dict[str, Any]) -> list[str]:
    """The texts of the tool results in a request, oldest first."""
    out: list[str] = []
    if dialect is Dialect.OPENAI_CHAT:
        for m in body.get("messages") or []:
            if isinstance(m, dict) and m.get("role") == "tool":
                out.append(_text(m.get("content")))
    elif dialect is Dialect.OPENAI_RESPONSES:
        items = body.get("input")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("type") in (
                "function_call_output",
                "custom_tool_call_output",
            ):
                out.append(_text(item.get("output")))
    else:
        for m in body.get("messages") or []:
            content = m.get("content") if isinstance(m, dict) else None
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    out.append(_text(block.get("content")))
    return out


def scripted(ask: Ask, b: Behaviour, results: list[str]) -> Reply:
    """The scripted reply for this turn (b.script is not empty)."""
    assert b.script
    step = b.script[min(len(results), len(b.script) - 1)]
    input_tokens = max(1, ask.input_chars // 4)
    offered = {t.name for t in ask.tools}
    if step.call is not None and step.call.tool in offered:
        arguments = orjson.dumps(step.call.arguments).decode()
        seed = f"{ask.model}/{len(results)}/{step.call.tool}".encode()
        call = ToolCall("call_" + hashlib.sha256(seed).hexdigest()[:24], step.call.tool, arguments)
        return Reply("", call, "tool", input_tokens, max(1, len(arguments) // 4), 0, b.usage)
    text = step.reply if step.reply is not None else b.reply
    text = text.replace("{result}", results[-1].strip() if results else "")
    return Reply(text, None, "stop", input_tokens, max(1, len(text.split())), 0, b.usage)
