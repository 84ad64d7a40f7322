"""Sessions across router replicas: the operator renders its session backend and access
defaults into every RouterConfig, and refuses stateful sessions on several memory replicas."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from switchyard.catalog import DefaultAccess, ModelGroup, SessionBackend
from switchyard.operator.handlers.router import _render
from switchyard.operator.settings import OperatorSettings
from switchyard.render import RenderOptions
from tests.catalog.factories import group, provider


def _stateful() -> ModelGroup:
    g = group()
    return g.model_copy(update={"spec": g.spec.model_copy(update={
        "sessions": g.spec.sessions.model_copy(update={"stateful": True})})})  # fmt: skip


def test_redis_backend_needs_a_url() -> None:
    with pytest.raises(ValidationError, match="redis_url"):
        OperatorSettings(session_backend=SessionBackend.REDIS)
    s = OperatorSettings(
        session_backend=SessionBackend.REDIS,
        redis_url="redis://redis.llm.svc:6379/0",
        default_access=DefaultAccess.CALLERS,
        default_caller_secret="callers",
    )
    rs = s.router_settings()
    assert (rs.session_backend, rs.redis_url) == (SessionBackend.REDIS, s.redis_url)
    assert (rs.default_access, rs.default_caller_secret) == (DefaultAccess.CALLERS, "callers")


def test_stateful_sessions_on_memory_replicas_fail_that_group_only() -> None:
    p, stateful, plain = provider("p"), _stateful(), group("other")
    memory = RenderOptions(namespace="t", replicas=2)
    config, failures = _render(memory, [p], [stateful, plain], [])
    assert config is not None and [g.name for g in config.groups] == ["other"]
    reason, message = failures["g"]
    assert (
        reason == "RenderFailed" and "need sessionBackend redis with 2 router replicas" in message
    )
    redis = RenderOptions(namespace="t", replicas=2,
                          settings=OperatorSettings(session_backend=SessionBackend.REDIS,
                                                    redis_url="redis://r:6379/0").router_settings())  # fmt: skip
    config, failures = _render(redis, [p], [stateful, plain], [])
    assert failures == {} and config is not None and len(config.groups) == 2
