"""Parallel tool calls on each dialect's wire: how a request asks for them explicitly.

* OpenAI Chat Completions and Responses: ``parallel_tool_calls`` (boolean, default true).
* Anthropic Messages: ``tool_choice.disable_parallel_tool_use`` (default false; true means at
  most one tool use with ``auto``, exactly one with ``any`` or ``tool``).
* Gemini ``generateContent``: no switch; several ``functionCall`` parts in one candidate are
  its way of calling tools in parallel.

A request *asks* only when it carries the allowing value itself. The field absent is no ask:
parallel calls are every API's default, and a router that read the default as a need would
refuse every bridged tool request that has no parallel-tools evidence. The router turns an ask
on a request with function tools into the ``parallelToolCalls`` need, and the parallel-tools
probe asks with the very fragment below, so both follow the same rule.
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect

JSON = dict[str, Any]
PARALLEL_FIELD = "parallel_tool_calls"  # Chat Completions and Responses
DISABLE_FIELD = "disable_parallel_tool_use"  # inside a Messages tool_choice


def asks_parallel_tools(dialect: Dialect, body: JSON) -> bool:
    """Does `body` ask for parallel tool calls explicitly, in `dialect`'s own field?"""
    if dialect in (Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES):
        return body.get(PARALLEL_FIELD) is True
    if dialect is Dialect.ANTHROPIC:
        choice = body.get("tool_choice")
        return isinstance(choice, dict) and choice.get(DISABLE_FIELD) is False
    return False  # Gemini has no switch to ask with


def ask_parallel_tools(dialect: Dialect, body: JSON) -> JSON:
    """`body` (a tools request) asking for parallel tool calls explicitly where the dialect
    has a field for it; Gemini's body is returned as it is."""
    if dialect in (Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES):
        return {**body, PARALLEL_FIELD: True}
    if dialect is Dialect.ANTHROPIC:
        choice = body.get("tool_choice")
        base = choice if isinstance(choice, dict) else {"type": "auto"}
        return {**body, "tool_choice": {**base, DISABLE_FIELD: False}}
    return dict(body)
