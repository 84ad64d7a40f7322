from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchyard.router.bridges import BridgeContext, counting_ids

from ..harness import Mock, run_mock
from .stack import Stack, run_stack, scenario


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


@pytest.fixture(scope="session")
def bridge_mock() -> Iterator[Mock]:
    with run_mock() as mock:
        mock.scenario(scenario())
        yield mock


@pytest.fixture(scope="session")
def stack(bridge_mock: Mock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The fake upstream and a router (memory sessions) serving every bridge."""
    with run_stack(tmp_path_factory.mktemp("bridges"), bridge_mock) as s:
        yield s
