"""Media parts (audio, files, video) checked the way the real services check them.

Real services decode what they are sent before the model sees it: OpenAI refuses audio that
does not decode as the declared ``wav``/``mp3`` and a ``file`` part that is not a base64 PDF data
URL; Anthropic refuses a document whose PDF is not valid; Gemini refuses inline data that is not
base64. So does this fake, with each service's error shape (the wire modules turn a MediaError
into their own 400). What the fake model "reads" or "hears" comes from the bytes themselves: the
text of a PDF's text-showing operators or of a plain-text document, and for a WAV whether it
holds a tone or silence; so a probe passes only when it sent what it meant to send.

Independent of the code it checks: this module imports nothing of switchyard but constants.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import wave
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from switchyard.catalog import SwitchyardError

AUDIO, FILE, VIDEO = "audio", "file", "video"
AUDIO_FORMATS = ("wav", "mp3")
TONE_AMPLITUDE = 1000  # 16-bit samples louder than this are a tone; quieter ones silence
DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[\w=.-]+)*;base64,(?P<data>.*)$", re.S)
PDF_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")


class MediaError(SwitchyardError, ValueError):
    """A media part the real service refuses (400); the message is the service's own kind."""


@dataclass
class Media:
    """What a request's media parts hold: the kinds sent and what the model perceives."""

    kinds: set[str] = field(default_factory=set)
    perceived: list[str] = field(default_factory=list)

    def add(self, kind: str, perceived: str | None = None) -> None:
        self.kinds.add(kind)
        if perceived:
            self.perceived.append(perceived)

    @property
    def text(self) -> str | None:
        return " ".join(self.perceived) if self.perceived else None


def decode(data: object, where: str) -> bytes:
    """Strict base64 (no data: prefix), as the services require."""
    if not isinstance(data, str) or not data:
        raise MediaError(f"Missing required parameter: '{where}'.")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise MediaError(f"Invalid base64 data at '{where}'.") from None


def data_url(url: object, where: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a ``data:<mime>;base64,...`` URL."""
    match = DATA_URL.match(url) if isinstance(url, str) else None
    if match is None:
        raise MediaError(f"Invalid value for '{where}': expected a base64 data URL "
                         "(data:<mime type>;base64,<data>).")  # fmt: skip
    return match["mime"].lower(), decode(match["data"], where)


def heard(raw: bytes, fmt: object, where: str) -> str:
    """What a model hears in an audio clip: 'tone' or 'silence' (WAV), 'audio' (MP3)."""
    if fmt not in AUDIO_FORMATS:
        raise MediaError(f"Invalid value: {fmt!r} at '{where}.format'. Supported values are: "
                         "'wav' and 'mp3'.")  # fmt: skip
    if fmt == "mp3":
        if not (raw.startswith(b"ID3") or (len(raw) > 1 and raw[0] == 0xFF and raw[1] >= 0xE0)):
            raise MediaError("The audio file could not be decoded or its format is not supported.")
        return "audio"
    try:
        with wave.open(io.BytesIO(raw)) as clip:
            width, frames = clip.getsampwidth(), clip.readframes(clip.getnframes())
    except (wave.Error, EOFError):
        raise MediaError(
            "The audio file could not be decoded or its format is not supported."
        ) from None
    if not frames:
        raise MediaError("The audio file could not be decoded or its format is not supported.")
    if width != 2:
        return "audio"
    samples = array("h")
    samples.frombytes(frames[: len(frames) // 2 * 2])
    return "tone" if max(abs(s) for s in samples) > TONE_AMPLITUDE else "silence"


def pdf_text(raw: bytes, message: str = "The PDF specified was not valid.") -> str:
    """The text a PDF shows with ``(...) Tj`` (uncompressed streams); refuses a non-PDF."""
    if not raw.startswith(b"%PDF-") or b"%%EOF" not in raw[-1024:]:
        raise MediaError(message)
    shown = [m.group(1).replace(rb"\(", b"(").replace(rb"\)", b")") for m in PDF_TEXT.finditer(raw)]
    return b" ".join(shown).decode("latin-1")


def document(mime: str, raw: bytes, where: str) -> str | None:
    """What a model reads in a document: a PDF's text, a text file's content."""
    if mime == "application/pdf":
        return pdf_text(raw)
    if mime.startswith("text/") or mime in ("application/json", "application/xml"):
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise MediaError(f"Invalid value for '{where}': the file is not UTF-8 text.") from None
    return None


def _parts(items: object, where: str, depth: int = 0) -> list[tuple[dict[str, object], str]]:
    """Every typed part in message content (and tool results' content or output lists)."""
    found: list[tuple[dict[str, object], str]] = []
    if depth > 4 or not isinstance(items, list):
        return found
    for i, item in enumerate(items):
        if isinstance(item, dict):
            here = f"{where}[{i}]"
            found.append((item, here))
            for key in ("content", "output"):
                found += _parts(item.get(key), f"{here}.{key}", depth + 1)
    return found


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise MediaError(f"Missing required parameter: '{where}'.")
    return value


def _input_audio(part: dict[str, object], where: str, media: Media) -> None:
    audio = _object(part.get("input_audio"), f"{where}.input_audio")
    raw = decode(audio.get("data"), f"{where}.input_audio.data")
    media.add(AUDIO, heard(raw, audio.get("format"), f"{where}.input_audio"))


def _openai_media(
    items: object,
    root: str,
    file_type: str,
    read_file: Callable[[dict[str, object], str], str | None],
) -> Media:
    """OpenAI's two APIs check ``input_audio`` parts alike; each reads its own file part."""
    media = Media()
    for part, where in _parts(items, root):
        kind = part.get("type")
        if kind == "input_audio":
            _input_audio(part, where, media)
        elif kind == file_type:
            media.add(FILE, read_file(part, where))
    return media


def _chat_file(part: dict[str, object], where: str) -> str | None:
    spec = _object(part.get("file"), f"{where}.file")
    if spec.get("file_data") is not None:
        mime, raw = data_url(spec["file_data"], f"{where}.file.file_data")
        if mime != "application/pdf":
            raise MediaError(f"Invalid file data: '{where}.file.file_data'. Expected a "
                             "base64-encoded data URL with an application/pdf MIME type")  # fmt: skip
        return pdf_text(raw)
    if isinstance(spec.get("file_id"), str):
        return None
    raise MediaError(f"Missing required parameter: '{where}.file.file_data' or "
                     f"'{where}.file.file_id'.")  # fmt: skip


def _responses_file(part: dict[str, object], where: str) -> str | None:
    if part.get("file_data") is not None:
        if not isinstance(part.get("filename"), str):
            raise MediaError(f"Missing required parameter: '{where}.filename'.")
        mime, raw = data_url(part["file_data"], f"{where}.file_data")
        return document(mime, raw, f"{where}.file_data")
    if isinstance(part.get("file_id"), str) or isinstance(part.get("file_url"), str):
        return None
    raise MediaError(f"Missing required parameter: one of '{where}.file_data', "
                     f"'{where}.file_id' or '{where}.file_url'.")  # fmt: skip


def chat_media(messages: object) -> Media:
    """Chat Completions: ``input_audio`` (base64 wav/mp3) and ``file`` parts (PDF only, as a
    base64 data URL in file_data or an uploaded file_id)."""
    return _openai_media(messages, "messages", "file", _chat_file)


def responses_media(items: object) -> Media:
    """Responses: ``input_file`` (file_data as a data URL with a filename, file_id or
    file_url; PDFs and text files read) and ``input_audio``."""
    return _openai_media(items, "input", "input_file", _responses_file)


def anthropic_media(messages: object) -> Media:
    """Messages: ``document`` blocks with a base64 PDF, text, content, url or file source."""
    media = Media()
    for part, where in _parts(messages, "messages"):
        if part.get("type") != "document":
            continue
        source = _object(part.get("source"), f"{where}.source")
        kind = source.get("type")
        if kind == "base64":
            if source.get("media_type") != "application/pdf":
                raise MediaError(f"{where}.source.media_type: Input should be 'application/pdf'")
            media.add(FILE, pdf_text(decode(source.get("data"), f"{where}.source.data")))
        elif kind == "text":
            if source.get("media_type") != "text/plain" or not isinstance(source.get("data"), str):
                raise MediaError(f"{where}.source: a text source needs media_type 'text/plain' "
                                 "and string data")  # fmt: skip
            media.add(FILE, str(source["data"]))
        elif kind in ("url", "content", "file"):
            media.add(FILE)
        else:
            raise MediaError(f"{where}.source.type: Input tag {kind!r} found using 'type' does "
                             "not match any of the expected tags: 'base64', 'content', 'file', "
                             "'text', 'url'")  # fmt: skip
    return media


def google_media(contents: object) -> Media:
    """Gemini: ``inlineData`` (base64 with a mimeType) and ``fileData`` parts, by mime family;
    images are left to the image path, as before."""
    media = Media()
    for i, content in enumerate(contents if isinstance(contents, list) else []):
        parts = content.get("parts") if isinstance(content, dict) else None
        for j, part in enumerate(parts if isinstance(parts, list) else []):
            where = f"contents[{i}].parts[{j}]"
            inline = part.get("inlineData") if isinstance(part, dict) else None
            linked = part.get("fileData") if isinstance(part, dict) else None
            spec = inline if isinstance(inline, dict) else linked
            if not isinstance(spec, dict):
                continue
            mime = spec.get("mimeType")
            if not isinstance(mime, str) or "/" not in mime:
                raise MediaError(f"* GenerateContentRequest.{where}.mime_type: required field "
                                 "is not specified")  # fmt: skip
            family = mime.lower().partition("/")[0]
            kind = {"audio": AUDIO, "video": VIDEO, "image": None}.get(family, FILE)
            if kind is None:
                continue
            if spec is linked:
                media.add(kind)
                continue
            raw = decode(spec.get("data"), f"{where}.inline_data.data")
            if kind == AUDIO:
                wav = mime.lower() in ("audio/wav", "audio/x-wav", "audio/wave")
                media.add(kind, heard(raw, "wav", where) if wav else None)
            elif kind == FILE:
                media.add(kind, document(mime.lower(), raw, f"{where}.inline_data"))
            else:
                media.add(kind)
    return media
