"""Large synthetic payloads: size, tools and dialect shape, never real content."""

from __future__ import annotations

import json

import pytest

from switchyard.catalog import Dialect
from switchyard.smoke import build_large_payload, tool_schemas
from switchyard.smoke.dialects import ADAPTERS


@pytest.mark.parametrize("dialect", list(Dialect))
def test_reaches_target_bytes_with_tools(dialect: Dialect) -> None:
    body, shape = build_large_payload(ADAPTERS[dialect], "m", "OK", 262144, 24, 32)
    size = len(json.dumps(body, separators=(",", ":")).encode())
    assert shape.request_bytes == size
    assert 262144 <= size < 262144 + 4096
    if dialect is Dialect.GOOGLE:  # one Tool holding every function; the cap in generationConfig
        assert shape.tool_count == 24 == len(body["tools"][0]["functionDeclarations"])
        assert shape.max_tokens == 32 == body["generationConfig"]["maxOutputTokens"]
        return
    assert shape.tool_count == 24 == len(body["tools"])
    assert shape.max_tokens == 32 == body[ADAPTERS[dialect].cap_field]
    assert "requestBytes=" in shape.detail() and "OK" not in shape.detail()


def test_tool_shapes_per_dialect() -> None:
    chat, _ = build_large_payload(ADAPTERS[Dialect.OPENAI_CHAT], "m", "OK", 4096, 2, 8)
    responses, _ = build_large_payload(ADAPTERS[Dialect.OPENAI_RESPONSES], "m", "OK", 4096, 2, 8)
    messages, _ = build_large_payload(ADAPTERS[Dialect.ANTHROPIC], "m", "OK", 4096, 2, 8)
    assert chat["tools"][0]["function"]["name"] == "read_file_0"
    assert responses["tools"][0]["name"] == "read_file_0"
    assert responses["tools"][0]["type"] == "function"
    assert "input_schema" in messages["tools"][0]


def test_tool_names_unique() -> None:
    names = [t.name for t in tool_schemas(100)]
    assert len(set(names)) == 100
