"""A PNG drawn on the spot with known text, for the image-input probe.

Pure Python + zlib: a 5x7 bitmap font scaled up, black on white, 8-bit greyscale. The text is
chosen by the caller, so a model can only answer it by reading the picture.
"""

from __future__ import annotations

import struct
import zlib

# 5x7 glyphs, one string of 7 rows per character ('#' = ink).
_FONT: dict[str, tuple[str, ...]] = {
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
    "G": (".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"),
    "H": ("#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "I": (".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "J": ("..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"),
    "N": ("#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "Q": (".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "V": ("#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."),
    "X": ("#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"),
    "Y": ("#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."),
    "Z": ("#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"),
    "0": (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    "1": ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "2": (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    "3": ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    "4": ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    "5": ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    "6": ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    "7": ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    "8": (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    "9": (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
    " ": (".....",) * 7,
    "-": (".....", ".....", ".....", "#####", ".....", ".....", "....."),
    ".": (".....", ".....", ".....", ".....", ".....", ".##..", ".##.."),
    ":": (".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."),
    "!": ("..#..", "..#..", "..#..", "..#..", "..#..", ".....", "..#.."),
    "?": (".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."),
}
GLYPH_W, GLYPH_H = 5, 7
SUPPORTED = frozenset(_FONT)
MAX_CHARS = 40


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def text_png(text: str, scale: int = 6, margin: int = 4) -> bytes:
    """A PNG showing `text` (upper-cased) in block letters; raises ValueError on unknown glyphs."""
    text = text.upper()
    unknown = sorted({c for c in text if c not in _FONT})
    if unknown:
        raise ValueError(f"image text: no glyph for {''.join(unknown)!r} (use A-Z 0-9 -.:!?)")
    if not 0 < len(text) <= MAX_CHARS:
        raise ValueError(f"image text: 1 to {MAX_CHARS} characters")
    cols = len(text) * (GLYPH_W + 1) - 1
    width = (cols + 2 * margin) * scale
    height = (GLYPH_H + 2 * margin) * scale
    rows = bytearray()
    for y in range(height):
        gy = y // scale - margin
        line = bytearray(b"\xff" * width)
        if 0 <= gy < GLYPH_H:
            for i, ch in enumerate(text):
                pattern = _FONT[ch][gy]
                for gx, cell in enumerate(pattern):
                    if cell == "#":
                        x0 = (margin + i * (GLYPH_W + 1) + gx) * scale
                        line[x0 : x0 + scale] = b"\x00" * scale
        rows += b"\x00" + line  # filter type 0 per scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def read_png_text(png: bytes, scale: int = 6, margin: int = 4) -> str:
    """Read back what `text_png` drew (for tests): the inverse of the renderer, not an OCR."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", data[:8])
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width + 1
    pixels = [raw[r * stride + 1 : (r + 1) * stride] for r in range(height)]
    chars = (width // scale - 2 * margin + 1) // (GLYPH_W + 1)
    glyphs = {v: k for k, v in _FONT.items()}
    out = []
    for i in range(chars):
        pattern = tuple(
            "".join(
                "#"
                if pixels[(margin + gy) * scale][(margin + i * (GLYPH_W + 1) + gx) * scale] == 0
                else "."
                for gx in range(GLYPH_W)
            )
            for gy in range(GLYPH_H)
        )
        out.append(glyphs.get(pattern, "?"))
    return "".join(out)
