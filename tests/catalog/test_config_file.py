"""A rendered config as stored: gzip that packs the same every time and unpacks within bounds."""

from __future__ import annotations

import pytest

from switchyard.catalog import PackedConfigError, is_packed, pack, unpack


def test_packing_is_deterministic_and_round_trips() -> None:
    text = '{"kind": "RouterConfig", "groups": []}\n' * 1000
    assert pack(text) == pack(text)  # no timestamp: an unchanged config is an unchanged map
    assert is_packed(pack(text)) and not is_packed(text.encode())
    assert unpack(pack(text)).decode() == text
    assert len(pack(text)) * 20 < len(text)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (pack("x" * 100)[:-9], "cut short"),
        (pack("x" * 100) + b"\x00", "bytes follow"),
        (pack("x" * 101), "inflates to more than 100 bytes"),
        (b"\x1f\x8b" + b"\x00" * 30, "corrupt"),
    ],
)
def test_what_cannot_be_read_whole_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(PackedConfigError, match=message):
        unpack(raw, limit=100)
