"""Audio and documents made on the spot for the audio-input and file-input probes.

Pure Python: a WAV written with the ``wave`` module (a one-second 440 Hz tone, 16 kHz mono
16-bit), and a one-page PDF 1.4 whose only content is the caller's text in Helvetica, with a
correct cross-reference table. The document's text is chosen by the caller, so a model can only
answer it by reading the file.
"""

from __future__ import annotations

import io
import math
import struct
import wave

TONE_HZ = 440
RATE = 16000
SECONDS = 1.0
AMPLITUDE = 12000  # of 32767: clearly audible, never clipped


def tone_wav(hz: int = TONE_HZ, seconds: float = SECONDS) -> bytes:
    """A mono 16-bit PCM WAV holding a sine tone."""
    frames = b"".join(
        struct.pack("<h", round(AMPLITUDE * math.sin(2 * math.pi * hz * n / RATE)))
        for n in range(int(RATE * seconds))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(RATE)
        clip.writeframes(frames)
    return out.getvalue()


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(text: str) -> bytes:
    """A valid one-page PDF showing `text` (ASCII) in 24-point Helvetica."""
    stream = f"BT /F1 24 Tf 72 700 Td ({_pdf_string(text)}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
