"""Router test fixtures: one fake upstream process per session, a fresh scenario per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import PROVIDER_KEY, Mock, run_mock


@pytest.fixture(scope="session")
def mock_process() -> Iterator[Mock]:
    with run_mock() as mock:
        yield mock


@pytest.fixture
def mock(mock_process: Mock) -> Mock:
    """The fake upstream, demanding the planted provider key, with nothing recorded yet."""
    mock_process.scenario({"defaults": {"apiKey": PROVIDER_KEY}})
    return mock_process
