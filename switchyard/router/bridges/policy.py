"""The field policy of every bridge: for each top-level request field of the inbound skin, one
decision, written down once and shown to operators in docs/bridges.md.

* ``TRANSLATE`` - the bridge carries the field's meaning to the target skin (or it is the
  bridge's own plumbing, such as ``model`` and ``stream``).
* ``DROP`` - honouring the field cannot change the answer (metadata, cache keys, client hints,
  store flags, service tiers): the bridge leaves it out and the router counts the drop by name
  (``switchyard_bridge_dropped_fields``), so an operator sees what clients send.
* ``REFUSE`` - the target skin cannot honour it: a 400 in the caller's skin names the field and
  says why (never a silent change of meaning).

A field the table does not list gets the skin's ``unknown`` rule; every skin refuses unknown
fields (docs/bridges.md explains why). A field whose value is ``null`` is absent: there is
nothing to honour. Decisions that depend on the value (``previous_response_id``, ``background``,
``context_management`` edits, ...) are ``TRANSLATE`` here and checked by the bridge itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from switchyard.catalog import BridgeDirection

from .base import JSON, BridgeRefused


class Rule(StrEnum):
    TRANSLATE = "translate"
    DROP = "drop"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Field:
    rule: Rule
    why: str


@dataclass(frozen=True)
class Policy:
    direction: BridgeDirection
    fields: dict[str, Field]
    unknown: Rule = Rule.REFUSE

    def apply(self, body: JSON) -> list[str]:
        """The fields this body carries that the bridge drops, sorted; raises BridgeRefused
        naming every refused (or unknown) field with the reason."""
        dropped: list[str] = []
        refused: list[str] = []
        for name in sorted(body):
            if body[name] is None:
                continue
            entry = self.fields.get(name)
            rule = entry.rule if entry is not None else self.unknown
            if rule is Rule.DROP:
                dropped.append(name)
            elif rule is Rule.REFUSE:
                why = entry.why if entry is not None else "unknown field; its meaning is not known"
                refused.append(f"{name} ({why})")
        if refused:
            raise BridgeRefused(
                f"{self.direction.value} bridge does not support field(s): {'; '.join(refused)}"
            )
        return dropped


def _t(why: str) -> Field:
    return Field(Rule.TRANSLATE, why)


def _d(why: str) -> Field:
    return Field(Rule.DROP, why)


def _r(why: str) -> Field:
    return Field(Rule.REFUSE, why)


PLUMBING = {
    "model": _t("replaced by the target's served model id"),
    "stream": _t("streams are translated event by event"),
}

# ----------------------------------------------------------------- Responses callers -> Chat
RESPONSES_TO_CHAT = Policy(
    BridgeDirection.RESPONSES_TO_CHAT,
    {
        **PLUMBING,
        "input": _t("messages, function calls and outputs, images"),
        "instructions": _t("a leading system message"),
        "tools": _t("function tools; namespace tools flattened; custom text tools as functions"),
        "tool_choice": _t("auto, none, required or a named function"),
        "parallel_tool_calls": _t("same field on Chat"),
        "max_output_tokens": _t("max_tokens"),
        "temperature": _t("same field on Chat"),
        "top_p": _t("same field on Chat"),
        "user": _t("same field on Chat"),
        "reasoning": _t("effort -> the target's proven reasoning control; summary dropped"),
        "text": _t("format text only (structured output refused); verbosity dropped"),
        "previous_response_id": _t("refused when set: a Chat upstream keeps no state"),
        "background": _t("refused when true: the router runs no background jobs"),
        "metadata": _d("caller bookkeeping; not shown to the model"),
        "client_metadata": _d("client telemetry (Codex sends it on every request)"),
        "prompt_cache_key": _d("a cache-routing hint; answers are the same without it"),
        "prompt_cache_retention": _d("a cache-lifetime hint"),
        "safety_identifier": _d("abuse-monitoring id for OpenAI; not part of the prompt"),
        "service_tier": _d("a latency/price tier of OpenAI's own service"),
        "store": _d("the router stores no responses; nothing can refer back to them"),
        "include": _d("asks for extra output (encrypted reasoning, logprobs) Chat never has"),
        "stream_options": _d("obfuscation padding of OpenAI's stream; not needed"),
        "truncation": _d("the router never truncates; an oversized prompt fails upstream"),
        "max_tool_calls": _d("limits hosted tool calls; the bridge serves none"),
        "conversation": _r("stored conversations need OpenAI's state"),
        "context_management": _r("server-side compaction runs at OpenAI"),
        "prompt": _r("stored prompt templates live at OpenAI"),
        "top_logprobs": _r("the bridge does not return log probabilities"),
    },
)

# ----------------------------------------------------------------- Messages callers -> Chat
MESSAGES_TO_CHAT = Policy(
    BridgeDirection.MESSAGES_TO_CHAT,
    {
        **PLUMBING,
        "messages": _t("turns, tool_use/tool_result, images; system turns stay in place"),
        "system": _t("a leading system message"),
        "max_tokens": _t("same field on Chat"),
        "stop_sequences": _t("stop"),
        "temperature": _t("same field on Chat"),
        "top_p": _t("same field on Chat"),
        "tools": _t("client tools (no type or custom) as function tools"),
        "tool_choice": _t("auto, any, none, tool; disable_parallel_tool_use"),
        "thinking": _t("enabled/adaptive -> the target's proven reasoning control"),
        "output_config": _t("effort -> reasoning label while thinking; format refused"),
        "context_management": _t("clear_thinking edits dropped (no thinking reaches Chat)"),
        "metadata": _d("user_id for Anthropic's abuse monitoring; not shown to the model"),
        "service_tier": _d("Anthropic's priority/standard capacity choice"),
        "cache_control": _d("prompt-cache breakpoints; answers are the same without them"),
        "speed": _d("Anthropic's fast-output mode; the answer is the same"),
        "diagnostics": _d("asks Anthropic for debugging details"),
        "user_profile_id": _d("Anthropic account bookkeeping"),
        "top_k": _r("Chat Completions has no top_k"),
        "container": _r("code-execution containers live at Anthropic"),
        "mcp_servers": _r("server-side MCP connectors run at Anthropic"),
        "output_format": _r("structured output is not supported through this bridge"),
        "inference_geo": _r("a data-residency demand the router cannot prove for the target"),
        "fallbacks": _r("server-side model fallbacks are Anthropic's; use group fallback"),
        "fallback_credit_token": _r("belongs to Anthropic's server-side fallbacks"),
    },
)

# ----------------------------------------------------------------- Chat callers -> others
_CHAT_COMMON = {
    **PLUMBING,
    "messages": _t("system -> instructions/system; turns, tool calls, images"),
    "tools": _t("function tools"),
    "tool_choice": _t("auto, none, required or a named function"),
    "parallel_tool_calls": _t("carried"),
    "max_tokens": _t("the target's output cap"),
    "max_completion_tokens": _t("the target's output cap"),
    "temperature": _t("carried"),
    "top_p": _t("carried"),
    "stream_options": _t("include_usage decides the final usage chunk"),
    "reasoning_effort": _t("the target's proven reasoning control"),
    "n": _t("refused above 1: one answer per request"),
    "response_format": _t("text only; structured output refused"),
    "user": _t("carried (Messages: metadata.user_id)"),
    "metadata": _d("caller bookkeeping; not shown to the model"),
    "service_tier": _d("a latency/price tier of the caller's own provider"),
    "prompt_cache_key": _d("a cache-routing hint"),
    "prompt_cache_retention": _d("a cache-lifetime hint"),
    "safety_identifier": _d("abuse-monitoring id; not part of the prompt"),
    "frequency_penalty": _r("no equivalent on the target skin"),
    "presence_penalty": _r("no equivalent on the target skin"),
    "logit_bias": _r("no equivalent on the target skin"),
    "logprobs": _r("the bridge does not return log probabilities"),
    "top_logprobs": _r("the bridge does not return log probabilities"),
    "seed": _r("no equivalent on the target skin"),
    "prediction": _r("predicted outputs exist only on Chat"),
    "audio": _r("audio output is not supported through bridges"),
    "modalities": _r("audio output is not supported through bridges"),
    "functions": _r("legacy function calling; send tools instead"),
    "function_call": _r("legacy function calling; send tool_choice instead"),
    "web_search_options": _r("hosted web search needs hosted-tool evidence natively"),
    "verbosity": _r("no equivalent on the target skin"),
}
CHAT_TO_RESPONSES = Policy(
    BridgeDirection.CHAT_TO_RESPONSES,
    {
        **_CHAT_COMMON,
        "store": _t("carried (a stateful session needs stored responses)"),
        "stop": _r("Responses has no stop sequences"),
    },
)
CHAT_TO_MESSAGES = Policy(
    BridgeDirection.CHAT_TO_MESSAGES,
    {
        **_CHAT_COMMON,
        "stop": _t("stop_sequences"),
        "temperature": _t("carried; refused above 1 (Messages' range is 0..1)"),
        "store": _d("Messages stores nothing; nothing can refer back"),
    },
)

CHAT_TO_GOOGLE = Policy(
    BridgeDirection.CHAT_TO_GOOGLE,
    {
        **_CHAT_COMMON,
        "parallel_tool_calls": _t("true is Gemini's way; false is refused (no such switch)"),
        "response_format": _t("json_schema -> responseSchema, json_object -> JSON mime type"),
        "stop": _t("stopSequences (at most five)"),
        "seed": _t("generationConfig.seed"),
        "frequency_penalty": _t("generationConfig.frequencyPenalty"),
        "presence_penalty": _t("generationConfig.presencePenalty"),
        "user": _d("Gemini has no end-user field; not shown to the model"),
        "store": _d("Gemini stores nothing; nothing can refer back"),
    },
)

POLICIES: dict[BridgeDirection, Policy] = {
    p.direction: p
    for p in (
        RESPONSES_TO_CHAT,
        MESSAGES_TO_CHAT,
        CHAT_TO_RESPONSES,
        CHAT_TO_MESSAGES,
        CHAT_TO_GOOGLE,
    )
}


def markdown_table(policy: Policy) -> str:
    """The policy as the Markdown table docs/bridges.md shows (a test keeps them equal)."""
    lines = ["| field | rule | why |", "|---|---|---|"]
    for name, entry in sorted(policy.fields.items()):
        lines.append(f"| `{name}` | {entry.rule.value} | {entry.why} |")
    lines.append(f"| *any other field* | {policy.unknown.value} | unknown meaning |")
    return "\n".join(lines)
