"""What the probes really send, read back from the fake upstream's request log."""

from __future__ import annotations

from typing import Any

import httpx

from switchyard.catalog import Dialect, Layer, ProbeTask
from switchyard.smoke import ProbeTarget, run_probes


async def _reset(base: str) -> None:
    async with httpx.AsyncClient() as http:
        await http.delete(base.removesuffix("/v1") + "/_mock/requests")


async def _log(base: str, model: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        resp = await http.get(base.removesuffix("/v1") + "/_mock/requests", params={"model": model})
    data = resp.json()
    requests: list[dict[str, Any]] = data["requests"]
    return requests


async def _run(
    base: str, model: str, dialect: Dialect, tasks: list[ProbeTask]
) -> list[dict[str, Any]]:
    await _reset(base)
    await run_probes(ProbeTarget(base, Layer.DIRECT, model, "sk-x", 10), [dialect], tasks)
    return [r["body"] for r in await _log(base, model)]


async def test_chat_shapes(upstream: str) -> None:
    tasks = [ProbeTask.MAX_TOKENS_CAP, ProbeTask.FORCED_TOOLS, ProbeTask.STRUCTURED_OUTPUTS,
             ProbeTask.STREAMING, ProbeTask.IMAGE_INPUT, ProbeTask.REASONING_EFFORT]  # fmt: skip
    cap, forced, structured, stream, image, reasoning = await _run(
        upstream, "good", Dialect.OPENAI_CHAT, tasks
    )
    assert cap["max_completion_tokens"] == 1
    assert forced["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert structured["response_format"]["type"] == "json_schema"
    assert stream["stream"] is True and stream["stream_options"] == {"include_usage": True}
    part = image["messages"][0]["content"][1]
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )
    assert reasoning["reasoning_effort"] == "low"
    for body in (cap, forced, structured, stream, image, reasoning):
        assert isinstance(body["max_completion_tokens"], int)  # every probe is capped


async def test_responses_shapes(upstream: str) -> None:
    tasks = [ProbeTask.MAX_TOKENS_CAP, ProbeTask.FORCED_TOOLS, ProbeTask.STRUCTURED_OUTPUTS,
             ProbeTask.IMAGE_INPUT, ProbeTask.REASONING_EFFORT]  # fmt: skip
    cap, forced, structured, image, reasoning = await _run(
        upstream, "good", Dialect.OPENAI_RESPONSES, tasks
    )
    assert cap["max_output_tokens"] == 1
    assert forced["tool_choice"] == {"type": "function", "name": "get_time"}
    assert structured["text"]["format"]["type"] == "json_schema"
    assert image["input"][0]["content"][1]["type"] == "input_image"
    assert reasoning["reasoning"] == {"effort": "low"}


async def test_anthropic_shapes(upstream: str) -> None:
    await _reset(upstream)
    await run_probes(
        ProbeTarget(upstream, Layer.DIRECT, "good", "sk-x", 10),
        [Dialect.ANTHROPIC],
        [ProbeTask.MAX_TOKENS_CAP, ProbeTask.FORCED_TOOLS, ProbeTask.IMAGE_INPUT,
         ProbeTask.REASONING_EFFORT],
    )  # fmt: skip
    log = await _log(upstream, "good")
    cap, forced, image, reasoning = (r["body"] for r in log)
    assert log[0]["path"] == "/v1/messages"
    headers = {k.lower(): v for k, v in log[0]["headers"].items()}
    assert headers["x-api-key"] == "sk-x" and headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers
    assert cap["max_tokens"] == 1
    assert forced["tool_choice"] == {"type": "tool", "name": "get_time"}
    assert image["messages"][0]["content"][0]["source"]["media_type"] == "image/png"
    assert reasoning["thinking"]["type"] == "enabled"
    assert reasoning["max_tokens"] > reasoning["thinking"]["budget_tokens"] >= 1024


async def test_reasoning_control_is_chosen_and_recorded(upstream: str) -> None:
    from switchyard.catalog import ProbeResult
    from switchyard.smoke import ProbeOptions

    await _reset(upstream)
    options = ProbeOptions(reasoning_control="openrouter-effort")
    report = await run_probes(
        ProbeTarget(upstream, Layer.DIRECT, "good", "sk-x", 10),
        [Dialect.OPENAI_CHAT, Dialect.ANTHROPIC],
        [ProbeTask.REASONING_EFFORT],
        options,
    )
    chat, messages = report.rows
    assert (chat.result, chat.detail) == (ProbeResult.PASS, "openrouter-effort")
    body = (await _log(upstream, "good"))[-1]["body"]
    assert body["reasoning"] == {"effort": "low"} and "reasoning_effort" not in body
    # a control the skin cannot express is not sent at all
    assert messages.result is ProbeResult.SKIP and messages.status_code is None
    assert len(await _log(upstream, "good")) == 1
