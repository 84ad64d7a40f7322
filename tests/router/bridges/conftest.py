from __future__ import annotations

import pytest

from switchyard.router.bridges import BridgeContext, counting_ids


def make_ctx(control: str | None = None, previous: str | None = None) -> BridgeContext:
    return BridgeContext(
        upstream_model="up-model",
        inbound_model="group-a",
        reasoning_control=control,
        previous_response_id=previous,
        ids=counting_ids(),
        clock=lambda: 1767225600,
    )


@pytest.fixture
def ctx() -> BridgeContext:
    return make_ctx()
