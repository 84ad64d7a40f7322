"""chatToResponses stateful sessions through a real router, with memory and Redis backends:
the second request of a session carries the first upstream response id, nothing else does."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from switchyard.catalog import RouterSettings
from switchyard.catalog.router_config import SessionBackend

from ..harness import Mock
from ..redis_fixture import redis_url
from .stack import CALLER, OTHER_CALLER, REPLY, Stack, run_stack

__all__ = ["redis_url"]


@pytest.fixture(scope="module")
def redis_stack(
    bridge_mock: Mock, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    settings = RouterSettings(session_backend=SessionBackend.REDIS, redis_url=redis_url)
    with run_stack(tmp_path_factory.mktemp("bridges-redis"), bridge_mock, settings) as s:
        yield s


@pytest.fixture(params=["memory", "redis"])
def any_stack(request: pytest.FixtureRequest) -> Stack:
    name = "stack" if request.param == "memory" else "redis_stack"
    stack: Stack = request.getfixturevalue(name)
    return stack


def ask(
    stack: Stack,
    group: str,
    session: str,
    turns: int,
    caller: str = CALLER,
    stream: bool = False,
) -> dict[str, Any]:
    """Send a conversation of `turns` user turns; returns what the upstream received."""
    oai = openai.OpenAI(base_url=stack.router.v1, api_key=caller, max_retries=0)
    messages: list[Any] = [{"role": "system", "content": "Be brief."}]
    for i in range(turns):
        if i:
            messages.append({"role": "assistant", "content": REPLY})
        messages.append({"role": "user", "content": f"turn {i}"})
    headers = {"X-Session-Id": session}
    if stream:
        with oai.chat.completions.stream(
            model=group, messages=messages, extra_headers=headers
        ) as s:
            assert s.get_final_completion().choices[0].message.content == REPLY
    else:
        out = oai.chat.completions.create(model=group, messages=messages, extra_headers=headers)
        assert out.choices[0].message.content == REPLY
    record: dict[str, Any] = stack.upstream("resp-m")[-1]
    return record


@pytest.mark.parametrize("stream", [False, True])
def test_second_request_continues_the_first_response(any_stack: Stack, stream: bool) -> None:
    session = uuid.uuid4().hex
    first = ask(any_stack, "resp-m", session, 1, stream=stream)
    assert "previous_response_id" not in first["body"]
    assert first["responseId"].startswith("resp_")
    second = ask(any_stack, "resp-m", session, 2, stream=stream)
    assert second["body"]["previous_response_id"] == first["responseId"]
    assert second["body"]["input"] == [{"role": "user", "content": "turn 1"}]  # only the new turn
    assert second["body"]["instructions"] == "Be brief."
    third = ask(any_stack, "resp-m", session, 3, stream=stream)
    assert third["body"]["previous_response_id"] == second["responseId"]


def test_other_sessions_and_callers_never_reuse_it(any_stack: Stack) -> None:
    session = uuid.uuid4().hex
    ask(any_stack, "resp-m", session, 1)
    other_session = ask(any_stack, "resp-m", uuid.uuid4().hex, 2)
    assert "previous_response_id" not in other_session["body"]
    assert len(other_session["body"]["input"]) == 3  # the whole history, statelessly
    other_caller = ask(any_stack, "resp-m", session, 2, caller=OTHER_CALLER)
    assert "previous_response_id" not in other_caller["body"]
    no_header = any_stack.router.url  # a request without the header is stateless too
    oai = openai.OpenAI(base_url=no_header + "/v1", api_key=CALLER, max_retries=0)
    oai.chat.completions.create(
        model="resp-m",
        messages=[
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ],
    )
    assert "previous_response_id" not in any_stack.upstream("resp-m")[-1]["body"]


def test_sessions_expire(any_stack: Stack) -> None:
    session = uuid.uuid4().hex
    ask(any_stack, "resp-ttl", session, 1)
    time.sleep(1.5)  # resp-ttl keeps sessions for 1 s
    later = ask(any_stack, "resp-ttl", session, 2)
    assert "previous_response_id" not in later["body"]


def test_sessions_are_bounded(any_stack: Stack) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    ask(any_stack, "resp-small", a, 1)  # resp-small keeps one session
    first_b = ask(any_stack, "resp-small", b, 1)  # evicts a
    second_b = ask(any_stack, "resp-small", b, 2)
    assert second_b["body"]["previous_response_id"] == first_b["responseId"]
    assert "previous_response_id" not in ask(any_stack, "resp-small", a, 2)["body"]


def test_session_header_values_stay_out_of_rows_and_logs(stack: Stack) -> None:
    session = "secret-session-" + uuid.uuid4().hex
    ask(stack, "resp-m", session, 1)
    assert session not in stack.router.usage_file.read_text()
    assert session not in stack.router.logs()
    assert session not in stack.router.metrics()
