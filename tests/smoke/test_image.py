"""The on-the-spot PNG: a valid image whose pixels spell the requested text."""

from __future__ import annotations

import struct
import zlib

import pytest

from switchyard.smoke.image import read_png_text, text_png


def test_png_is_valid_and_reads_back() -> None:
    png = text_png("Rite Aid 42")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (depth, colour) == (8, 0)
    assert width > height > 0
    # every chunk's CRC is right
    pos = 8
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos : pos + 4])
        chunk = png[pos + 4 : pos + 8 + n]
        (crc,) = struct.unpack(">I", png[pos + 8 + n : pos + 12 + n])
        assert zlib.crc32(chunk) & 0xFFFFFFFF == crc
        pos += 12 + n
    assert read_png_text(png) == "RITE AID 42"


def test_different_text_different_pixels() -> None:
    assert text_png("OK") != text_png("KO")
    assert read_png_text(text_png("SWITCHYARD")) == "SWITCHYARD"


@pytest.mark.parametrize("bad", ["", "émoji", "x" * 41])
def test_refuses_what_it_cannot_draw(bad: str) -> None:
    with pytest.raises(ValueError, match="image text"):
        text_png(bad)
