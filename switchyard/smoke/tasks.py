"""The probe tasks: each sends its dialect's real request shape and checks the structure back.

A task returns evidence rows (usually one). Every request carries an output cap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from switchyard.catalog import (
    ErrorClass,
    EvidenceRow,
    LargePayload,
    ProbeResult,
    ProbeTask,
    ReasoningControl,
)

from . import checks
from .client import Exchange, ProbeClient
from .dialects import ToolSpec
from .image import text_png
from .media import text_pdf, tone_wav
from .payload import build_large_payload

TEXT_PROMPT = "Reply with exactly this text and nothing else: {expected}"
CAP_PROMPT = "Count from one to fifty in words, separated by spaces."
IMAGE_PROMPT = "What text is written in this image? Reply with that text only."
AUDIO_PROMPT = (
    "Does this recording hold a steady tone or only silence? Reply with one word: tone or silence."
)
AUDIO_ANSWER = "tone"  # the clip is a 440 Hz tone (smoke.media.tone_wav)
FILE_PROMPT = "What text is written in this document? Reply with that text only."
STRUCTURED_PROMPT = (
    'Return a JSON object whose "answer" is "{expected}" and whose "count" is the number 3.'
)
FORCED_PROMPT = "Reply with OK."
TOOL_PROMPT = "What is the weather in Paris right now? Use the get_weather tool."
PARALLEL_PROMPT = (
    "I need the current weather in Paris and the current local time in Tokyo. Call get_weather "
    "and get_time together, both in this one turn, before you answer."
)

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name."},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
        "additionalProperties": False,
    },
)
CLOCK = ToolSpec(
    "get_time",
    "Current local time in a time zone.",
    {
        "type": "object",
        "properties": {"timezone": {"type": "string", "description": "IANA time zone."}},
        "required": ["timezone"],
        "additionalProperties": False,
    },
)
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "count": {"type": "integer"}},
    "required": ["answer", "count"],
    "additionalProperties": False,
}
MAX_TINY_PROMPT_TOKENS = 2000


@dataclass(frozen=True)
class ProbeOptions:
    expected_text: str = "OK"
    image_text: str = "Rite Aid"
    file_text: str = "Juniper 42"  # the text the file-input probe's PDF shows
    tiny_cap: int = 16  # first try; reasoning models may answer it with empty content
    budget: int = 1024  # the realistic output budget
    reasoning_control: ReasoningControl | None = None  # None: each dialect's default control
    large_payload: LargePayload = field(default_factory=LargePayload)
    hosted_tool: str = "web_search"  # the hosted tool the hosted-tools task offers


@dataclass
class TaskContext:
    client: ProbeClient
    model: str
    options: ProbeOptions

    def row(
        self,
        task: ProbeTask,
        result: ProbeResult,
        ex: Exchange | None = None,
        detail: str | None = None,
        error_class: ErrorClass | None = None,
    ) -> EvidenceRow:
        reply = ex.reply if ex else None
        return EvidenceRow(
            task=task,
            dialect=self.client.adapter.dialect,
            layer=self.client.layer,
            result=result,
            status_code=ex.status_code if ex else None,
            error_class=error_class or (ex.error_class if ex else None),
            latency_ms=ex.latency_ms if ex else None,
            input_tokens=reply.input_tokens if reply else None,
            output_tokens=reply.output_tokens if reply else None,
            selected_upstream=ex.selected_upstream if ex else None,
            bridge_direction=ex.bridge_direction if ex else None,
            fallback=ex.fallback if ex else None,
            detail=(detail or (ex.note if ex else None) or None),
            at=datetime.now(UTC).replace(microsecond=0),
        )

    def judge(
        self, task: ProbeTask, ex: Exchange, problem: str | None, detail: str | None = None
    ) -> EvidenceRow:
        """Pass when the exchange worked and the check found no problem; fail otherwise."""
        if not ex.ok:
            return self.row(task, ProbeResult.FAIL, ex, detail=ex.note)
        if problem is not None:
            return self.row(task, ProbeResult.FAIL, ex, detail=problem)
        return self.row(task, ProbeResult.PASS, ex, detail=detail)


TaskFn = Callable[[TaskContext], Awaitable[list[EvidenceRow]]]


async def _text_ladder(
    ctx: TaskContext, task: ProbeTask, build: Callable[[int], dict[str, object]]
) -> list[EvidenceRow]:
    """Tiny budget first; empty content there is `info`, and the realistic budget decides."""
    tiny = ctx.options.tiny_cap
    ex = await ctx.client.send(build(tiny))
    if ex.ok and ex.reply is not None and not ex.reply.text.strip():
        note = f"empty content under a cap of {tiny}; retried with {ctx.options.budget}"
        first = ctx.row(task, ProbeResult.INFO, ex, detail=note)
        ex = await ctx.client.send(build(ctx.options.budget))
        problem = checks.has_text(ex.reply, ctx.options.expected_text) if ex.reply else None
        return [
            first,
            ctx.judge(task, ex, problem, f"expected text at a cap of {ctx.options.budget}"),
        ]
    problem = checks.has_text(ex.reply, ctx.options.expected_text) if ex.reply else None
    return [ctx.judge(task, ex, problem, f"expected text at a cap of {tiny}")]


async def text(ctx: TaskContext) -> list[EvidenceRow]:
    prompt = TEXT_PROMPT.format(expected=ctx.options.expected_text)
    adapter = ctx.client.adapter
    return await _text_ladder(
        ctx, ProbeTask.TEXT, lambda cap: adapter.text(ctx.model, prompt, max(cap, adapter.min_cap))
    )


async def max_tokens_cap(ctx: TaskContext) -> list[EvidenceRow]:
    adapter = ctx.client.adapter
    cap = 1
    ex = await ctx.client.send(adapter.text(ctx.model, CAP_PROMPT, cap))
    if ex.error_class is ErrorClass.BAD_REQUEST and adapter.min_cap > cap:
        cap = adapter.min_cap  # the dialect refuses caps this small; test its smallest
        ex = await ctx.client.send(adapter.text(ctx.model, CAP_PROMPT, cap))
    detail = f"{adapter.cap_field}={cap}"
    if ex.ok and ex.reply is not None and not ex.reply.text.strip():
        return [
            ctx.row(
                ProbeTask.MAX_TOKENS_CAP,
                ProbeResult.INFO,
                ex,
                detail=f"{detail}: empty content (reasoning model?); cap behaviour unknown",
            )
        ]
    problem = checks.within_cap(ex.reply, cap) if ex.reply else None
    return [
        ctx.judge(ProbeTask.MAX_TOKENS_CAP, ex, f"{detail}: {problem}" if problem else None, detail)
    ]


async def auto_tools(ctx: TaskContext) -> list[EvidenceRow]:
    body = ctx.client.adapter.tools(
        ctx.model, TOOL_PROMPT, [WEATHER, CLOCK], ctx.options.budget, forced=None
    )
    ex = await ctx.client.send(body)
    problem = checks.tool_called(ex.reply, WEATHER.name, "city") if ex.reply else None
    return [ctx.judge(ProbeTask.AUTO_TOOLS, ex, problem, "function tools, auto")]


async def forced_tools(ctx: TaskContext) -> list[EvidenceRow]:
    # The prompt needs no tool and get_time is listed second: only forcing explains a call to it.
    body = ctx.client.adapter.tools(
        ctx.model, FORCED_PROMPT, [WEATHER, CLOCK], ctx.options.budget, forced=CLOCK.name
    )
    ex = await ctx.client.send(body)
    problem = checks.tool_called(ex.reply, CLOCK.name, None) if ex.reply else None
    return [ctx.judge(ProbeTask.FORCED_TOOLS, ex, problem, "named function tool_choice")]


async def parallel_tools(ctx: TaskContext) -> list[EvidenceRow]:
    """Two function tools and a prompt needing both at once, parallel calls asked for in the
    dialect's own field (none on Gemini); passes on one turn with two or more calls."""
    body = ctx.client.adapter.parallel_tools(
        ctx.model, PARALLEL_PROMPT, [WEATHER, CLOCK], ctx.options.budget
    )
    ex = await ctx.client.send(body)
    problem = checks.parallel_calls(ex.reply) if ex.reply else None
    return [ctx.judge(ProbeTask.PARALLEL_TOOLS, ex, problem, "two function tools, one turn")]


async def structured_outputs(ctx: TaskContext) -> list[EvidenceRow]:
    prompt = STRUCTURED_PROMPT.format(expected=ctx.options.expected_text)
    body = ctx.client.adapter.structured(
        ctx.model, prompt, "probe_answer", ANSWER_SCHEMA, ctx.options.budget
    )
    ex = await ctx.client.send(body)
    problem = checks.matches_schema(ex.reply.text, ANSWER_SCHEMA) if ex.reply else None
    return [ctx.judge(ProbeTask.STRUCTURED_OUTPUTS, ex, problem, "json_schema strict")]


async def streaming(ctx: TaskContext) -> list[EvidenceRow]:
    adapter = ctx.client.adapter
    prompt = TEXT_PROMPT.format(expected=ctx.options.expected_text)
    body = adapter.streaming(adapter.text(ctx.model, prompt, ctx.options.budget))
    ex = await ctx.client.send(body)
    problem = None
    if ex.reply is not None:
        problem = checks.has_text(ex.reply, ctx.options.expected_text)
        if problem is None and not ex.reply.has_usage:
            problem = "stream carried no usage"
    return [ctx.judge(ProbeTask.STREAMING, ex, problem, "well-formed, usage in stream")]


async def image_input(ctx: TaskContext) -> list[EvidenceRow]:
    png = text_png(ctx.options.image_text)
    body = ctx.client.adapter.image(ctx.model, IMAGE_PROMPT, png, ctx.options.budget)
    ex = await ctx.client.send(body)
    problem = checks.has_text(ex.reply, ctx.options.image_text) if ex.reply else None
    return [ctx.judge(ProbeTask.IMAGE_INPUT, ex, problem, "png, text read back")]


async def audio_input(ctx: TaskContext) -> list[EvidenceRow]:
    """A WAV tone where the dialect defines audio input (Chat input_audio, Gemini inlineData);
    passes when the answer names the tone. Proves the clip was accepted and answered as heard,
    not speech understanding."""
    body = ctx.client.adapter.audio(ctx.model, AUDIO_PROMPT, tone_wav(), ctx.options.budget)
    if body is None:
        note = f"audio input is not defined on {ctx.client.adapter.dialect.value}"
        return [ctx.row(ProbeTask.AUDIO_INPUT, ProbeResult.SKIP, detail=note)]
    ex = await ctx.client.send(body)
    problem = checks.has_text(ex.reply, AUDIO_ANSWER) if ex.reply else None
    return [ctx.judge(ProbeTask.AUDIO_INPUT, ex, problem, "wav tone, heard as a tone")]


async def file_input(ctx: TaskContext) -> list[EvidenceRow]:
    """A one-page PDF drawn on the spot (Chat file, Responses input_file, Messages document,
    Gemini inlineData); passes when its text comes back."""
    pdf = text_pdf(ctx.options.file_text)
    body = ctx.client.adapter.document(ctx.model, FILE_PROMPT, pdf, ctx.options.budget)
    if body is None:
        note = f"file input is not defined on {ctx.client.adapter.dialect.value}"
        return [ctx.row(ProbeTask.FILE_INPUT, ProbeResult.SKIP, detail=note)]
    ex = await ctx.client.send(body)
    problem = checks.has_text(ex.reply, ctx.options.file_text) if ex.reply else None
    return [ctx.judge(ProbeTask.FILE_INPUT, ex, problem, "pdf, text read back")]


async def reasoning_effort(ctx: TaskContext) -> list[EvidenceRow]:
    adapter = ctx.client.adapter
    prompt = TEXT_PROMPT.format(expected=ctx.options.expected_text)
    control = ctx.options.reasoning_control or adapter.reasoning_control
    if control not in adapter.reasoning_controls:
        note = f"reasoning control {control} is not expressible on {adapter.dialect.value}"
        return [ctx.row(ProbeTask.REASONING_EFFORT, ProbeResult.SKIP, detail=note)]
    ex = await ctx.client.send(adapter.reasoning(ctx.model, prompt, ctx.options.budget, control))
    problem = None
    if ex.reply is not None:
        problem = checks.has_text(ex.reply, ctx.options.expected_text)
        if problem is None and not (ex.reply.reasoning_tokens or ex.reply.reasoning_seen):
            problem = "control accepted but no reasoning reported"
    # The detail is the control that was tested; the catalog carries it as reasoningControl.
    return [ctx.judge(ProbeTask.REASONING_EFFORT, ex, problem, control)]


HOSTED_PROMPT = "Search the web for today's top headline, then reply with exactly: {expected}"


async def hosted_tools(ctx: TaskContext) -> list[EvidenceRow]:
    """A provider-hosted tool (Responses web_search): passes when the reply shows the hosted
    call it ran and the text; the detail is the tool, which the catalog lists as proven."""
    tool = ctx.options.hosted_tool
    prompt = HOSTED_PROMPT.format(expected=ctx.options.expected_text)
    body = ctx.client.adapter.hosted(ctx.model, prompt, tool, ctx.options.budget)
    if body is None:
        note = f"hosted tool {tool} is not defined on {ctx.client.adapter.dialect.value}"
        return [ctx.row(ProbeTask.HOSTED_TOOLS, ProbeResult.SKIP, detail=note)]
    ex = await ctx.client.send(body)
    problem = None
    if ex.reply is not None:
        problem = checks.has_text(ex.reply, ctx.options.expected_text)
        if problem is None and tool not in ex.reply.hosted_calls:
            problem = f"no {tool} call in the reply"
    return [ctx.judge(ProbeTask.HOSTED_TOOLS, ex, problem, tool)]


async def usage(ctx: TaskContext) -> list[EvidenceRow]:
    adapter = ctx.client.adapter
    prompt = TEXT_PROMPT.format(expected=ctx.options.expected_text)
    cap = ctx.options.budget
    ex = await ctx.client.send(adapter.text(ctx.model, prompt, cap))
    problem = checks.usage_plausible(ex.reply, cap, MAX_TINY_PROMPT_TOKENS) if ex.reply else None
    return [ctx.judge(ProbeTask.USAGE, ex, problem, "input and output tokens plausible")]


async def large_payload(ctx: TaskContext) -> list[EvidenceRow]:
    spec = ctx.options.large_payload
    body, shape = build_large_payload(
        ctx.client.adapter,
        ctx.model,
        ctx.options.expected_text,
        spec.target_bytes,
        spec.tool_count,
        spec.max_tokens,
    )
    ex = await ctx.client.send(body)
    detail = shape.detail()
    if not ex.ok:
        note = f"{detail} ({ex.note})" if ex.note else detail
        return [ctx.row(ProbeTask.LARGE_PAYLOAD, ProbeResult.FAIL, ex, detail=note)]
    assert ex.reply is not None
    if not ex.reply.text.strip() and not ex.reply.tool_calls:
        return [ctx.row(ProbeTask.LARGE_PAYLOAD, ProbeResult.INFO, ex, detail=detail)]
    # A tool call is a legitimate answer to an agent-shaped request; otherwise want the text.
    problem = None if ex.reply.tool_calls else checks.has_text(ex.reply, ctx.options.expected_text)
    return [
        ctx.judge(ProbeTask.LARGE_PAYLOAD, ex, f"{detail} ({problem})" if problem else None, detail)
    ]


async def access(ctx: TaskContext) -> list[EvidenceRow]:
    adapter = ctx.client.adapter
    ex = await ctx.client.send(
        adapter.text(ctx.model, FORCED_PROMPT, max(ctx.options.tiny_cap, adapter.min_cap))
    )
    return [ctx.judge(ProbeTask.ACCESS, ex, None, "credential, account and model accepted")]


TASKS: dict[ProbeTask, TaskFn] = {
    ProbeTask.TEXT: text,
    ProbeTask.MAX_TOKENS_CAP: max_tokens_cap,
    ProbeTask.AUTO_TOOLS: auto_tools,
    ProbeTask.FORCED_TOOLS: forced_tools,
    ProbeTask.PARALLEL_TOOLS: parallel_tools,
    ProbeTask.STRUCTURED_OUTPUTS: structured_outputs,
    ProbeTask.STREAMING: streaming,
    ProbeTask.IMAGE_INPUT: image_input,
    ProbeTask.AUDIO_INPUT: audio_input,
    ProbeTask.FILE_INPUT: file_input,
    ProbeTask.REASONING_EFFORT: reasoning_effort,
    ProbeTask.USAGE: usage,
    ProbeTask.LARGE_PAYLOAD: large_payload,
    ProbeTask.HOSTED_TOOLS: hosted_tools,
    ProbeTask.ACCESS: access,
}
"""Tasks the probe runs, in the order it runs them (access first: it stops a blocked run)."""

ORDER: tuple[ProbeTask, ...] = (ProbeTask.ACCESS, *(t for t in TASKS if t is not ProbeTask.ACCESS))
