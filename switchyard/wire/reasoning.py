"""Reasoning effort: read it from any inbound dialect, write it as the target's own control.

Controls (the `detail` a reasoning-effort smoke records, RouterModel.reasoning_control):

=================  ==========================================  ===============================
control            values                                      upstream body fragment
=================  ==========================================  ===============================
openai-effort      none minimal low medium high xhigh          chat: reasoning_effort;
                                                               responses: reasoning.effort
openrouter-effort  minimal low medium high                     reasoning.effort
anthropic-budget   thinking budget_tokens >= 1024, or off      thinking {type, budget_tokens}
gemini-budget      thinking_budget 0 (off), -1 (dynamic), N    chat: extra_body.google.
                                                               thinking_config; google:
                                                               generationConfig.thinkingConfig
=================  ==========================================  ===============================

Policy: a value the target cannot express is mapped to the NEAREST documented value of that
target (xhigh -> high on OpenRouter, none -> minimal on OpenRouter, 1..1023 -> 1024 on
Anthropic, budgets clamped to Gemini's 32768 ceiling, labels -> the budget table below and
budgets -> labels by the same table). What is refused: a target with no proven control, an
unknown control, and a value that is not a reasoning value at all (unknown label, a negative
budget other than Gemini's -1, a non-number budget).
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect, ReasoningControl

from .refusal import RequestRefused

LABELS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")
# label -> thinking tokens, used both ways (budget -> the smallest label whose budget covers it)
BUDGETS: dict[str, int] = {
    "none": 0,
    "minimal": 1024,
    "low": 4096,
    "medium": 8192,
    "high": 24576,
    "xhigh": 32768,
}
DYNAMIC = -1  # Gemini's "let the model decide"; read as medium by label targets
ANTHROPIC_MIN_BUDGET = 1024
GEMINI_MAX_BUDGET = 32768


CONTROL_LABELS: dict[ReasoningControl, tuple[str, ...]] = {
    ReasoningControl.OPENAI_EFFORT: LABELS,
    ReasoningControl.OPENROUTER_EFFORT: ("minimal", "low", "medium", "high"),
}

Effort = str | int


def _label(value: Effort) -> str:
    """Any inbound value as a label on the shared scale."""
    if isinstance(value, bool):
        raise RequestRefused("reasoning effort must be a label or a token budget")
    if isinstance(value, str):
        if value not in LABELS:
            raise RequestRefused(
                f"unknown reasoning effort {value!r}; expected one of {', '.join(LABELS)}"
            )
        return value
    if value == DYNAMIC:
        return "medium"
    if value < 0:
        raise RequestRefused("a reasoning budget must be 0, -1 (dynamic) or positive")
    for label in LABELS:
        if value <= BUDGETS[label]:
            return label
    return "xhigh"


def _budget(value: Effort) -> int:
    """Any inbound value as a token budget (-1 stays dynamic)."""
    if isinstance(value, int) and not isinstance(value, bool):
        _label(value)  # validates
        return value
    return BUDGETS[_label(value)]


def _nearest(label: str, allowed: tuple[str, ...]) -> str:
    rank = LABELS.index(label)
    return min(allowed, key=lambda a: (abs(LABELS.index(a) - rank), LABELS.index(a)))


def parse_control(control: str | None) -> ReasoningControl:
    if control is None:
        raise RequestRefused("reasoning effort is not proven for this target")
    try:
        return ReasoningControl(control)
    except ValueError:
        raise RequestRefused(f"reasoning control {control!r} is not supported") from None


def translate_effort(
    value: Effort, target_control: str | None, dialect: Dialect = Dialect.OPENAI_CHAT
) -> dict[str, Any]:
    """The upstream body fragment that asks `dialect`'s target for `value` reasoning."""
    control = parse_control(target_control)
    if dialect is Dialect.GOOGLE and control is not ReasoningControl.GEMINI_BUDGET:
        raise RequestRefused(f"reasoning control {control.value} cannot be written on google")
    if control in CONTROL_LABELS:
        label = _nearest(_label(value), CONTROL_LABELS[control])
        if control is ReasoningControl.OPENROUTER_EFFORT:
            return {"reasoning": {"effort": label}}
        if dialect is Dialect.OPENAI_RESPONSES:
            return {"reasoning": {"effort": label}}
        return {"reasoning_effort": label}
    budget = _budget(value)
    if control is ReasoningControl.ANTHROPIC_BUDGET:
        if budget == 0:
            return {"thinking": {"type": "disabled"}}
        if budget == DYNAMIC:
            budget = BUDGETS["medium"]
        return {"thinking": {"type": "enabled", "budget_tokens": max(budget, ANTHROPIC_MIN_BUDGET)}}
    budget = min(budget, GEMINI_MAX_BUDGET)
    if dialect is Dialect.GOOGLE:
        return {"generationConfig": {"thinkingConfig": {"thinkingBudget": budget}}}
    return {"extra_body": {"google": {"thinking_config": {"thinking_budget": budget}}}}


def read_effort(dialect: Dialect, body: dict[str, Any]) -> Effort | None:
    """The reasoning value an inbound body asks for, in its own dialect (None: not asked)."""
    if dialect is Dialect.OPENAI_CHAT:
        value = body.get("reasoning_effort")
    elif dialect is Dialect.OPENAI_RESPONSES:
        reasoning = body.get("reasoning")
        value = reasoning.get("effort") if isinstance(reasoning, dict) else None
    elif dialect is Dialect.GOOGLE:
        value = _google_effort(body)
    else:
        thinking = body.get("thinking")
        if not isinstance(thinking, dict) or thinking.get("type") in (None, "disabled"):
            return None
        if thinking.get("type") == "adaptive":
            return "medium"
        if thinking.get("type") != "enabled":
            raise RequestRefused(f"thinking type {thinking.get('type')!r} is not supported")
        value = thinking.get("budget_tokens")
        if not isinstance(value, int) or isinstance(value, bool):
            raise RequestRefused("thinking.budget_tokens must be an integer")
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise RequestRefused("reasoning effort must be a label or a token budget")
    return value


def _google_effort(body: dict[str, Any]) -> Any:
    """generationConfig.thinkingConfig: thinkingBudget (0, -1, N) or thinkingLevel (a label)."""
    config = body.get("generationConfig")
    thinking = config.get("thinkingConfig") if isinstance(config, dict) else None
    if not isinstance(thinking, dict):
        return None
    value = thinking.get("thinkingBudget")
    if value is None:
        value = thinking.get("thinkingLevel")
        if isinstance(value, str):
            value = value.lower()
    return value


# The control each dialect's own reasoning field speaks.
NATIVE_CONTROL: dict[Dialect, ReasoningControl] = {
    Dialect.OPENAI_CHAT: ReasoningControl.OPENAI_EFFORT,
    Dialect.OPENAI_RESPONSES: ReasoningControl.OPENAI_EFFORT,
    Dialect.ANTHROPIC: ReasoningControl.ANTHROPIC_BUDGET,
    Dialect.GOOGLE: ReasoningControl.GEMINI_BUDGET,
}
_FIELDS: dict[Dialect, str] = {
    Dialect.OPENAI_CHAT: "reasoning_effort",
    Dialect.OPENAI_RESPONSES: "reasoning",
    Dialect.ANTHROPIC: "thinking",
}


def retarget(dialect: Dialect, body: dict[str, Any], control: str | None) -> dict[str, Any]:
    """A native body whose reasoning ask is rewritten for a target whose proven control is not
    the dialect's own (e.g. OpenRouter or Gemini behind openai-chat); unchanged otherwise."""
    value = read_effort(dialect, body)
    if value is None or control is None or control == NATIVE_CONTROL[dialect].value:
        return body
    if dialect is Dialect.GOOGLE:
        raise RequestRefused(f"reasoning control {control} cannot be written on google")
    out = {k: v for k, v in body.items() if k != _FIELDS[dialect]}
    if dialect is Dialect.OPENAI_RESPONSES and isinstance(body.get("reasoning"), dict):
        rest = {k: v for k, v in body["reasoning"].items() if k != "effort"}
        if rest:
            out["reasoning"] = rest
    return merge(out, translate_effort(value, control, dialect))


def merge(body: dict[str, Any], fragment: dict[str, Any]) -> dict[str, Any]:
    """``body`` with a reasoning fragment written in; objects both hold are merged one level
    deep (Gemini's fragment lives inside generationConfig next to the output cap)."""
    out = dict(body)
    for key, val in fragment.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **val}
        else:
            out[key] = val
    return out
