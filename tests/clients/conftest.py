"""The client tier: one fake upstream and one router process serving a group per cell, and a
loopback proxy sink; the pinned CLIs must be installed (python3 -m tests.clients.install)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..router.harness import Mock, run_mock
from .pins import PINS
from .sink import Sink, run_sink
from .stack import ClientStack, run_stack, scenario


@pytest.fixture(scope="session", autouse=True)
def _pinned_clients() -> None:
    missing = [f"{p.package}@{p.version}" for p in PINS if not p.path.exists()]
    if missing:
        pytest.fail(
            f"pinned clients not installed: {', '.join(missing)}; run `python3 -m tests.clients.install`"
        )


@pytest.fixture(scope="session")
def sink() -> Iterator[Sink]:
    with run_sink() as s:
        yield s


@pytest.fixture(scope="session")
def clients_mock() -> Iterator[Mock]:
    with run_mock() as mock:
        mock.scenario(scenario())
        yield mock


@pytest.fixture(scope="session")
def stack(clients_mock: Mock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientStack]:
    with run_stack(tmp_path_factory.mktemp("clients-router"), clients_mock) as s:
        yield s
