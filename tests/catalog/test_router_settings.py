"""RouterSettings validation: a Redis session backend must say where Redis is."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from switchyard.catalog.router_config import RouterSettings, SessionBackend


def test_redis_backend_needs_a_url() -> None:
    with pytest.raises(ValidationError, match="sessionBackend redis needs redisUrl"):
        RouterSettings.model_validate({"sessionBackend": "redis"})
    ok = RouterSettings.model_validate({"sessionBackend": "redis", "redisUrl": "redis://r:6379/0"})
    assert ok.session_backend is SessionBackend.REDIS
    assert RouterSettings().session_backend is SessionBackend.MEMORY
