"""The fake upstream's media parts, sent with the official SDKs: accepted only on models that take
that input, decoded like the real services decode them, refused in each service's error shape."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from aiohttp.test_utils import TestServer

from switchyard.smoke.media import text_pdf, tone_wav
from switchyard.testing import create_app, parse_scenario

SCENARIO: dict[str, Any] = {
    "models": {
        "omni": {},
        "text-only": {"audio": False, "files": False, "video": False},
    }
}
WAV = base64.b64encode(tone_wav()).decode()
SILENCE = base64.b64encode(tone_wav(hz=0)).decode()
PDF = base64.b64encode(text_pdf("Juniper (42)")).decode()
NOT_PDF = base64.b64encode(b"just some bytes").decode()


def _audio(data: str, fmt: str = "wav") -> list[dict[str, Any]]:
    part = {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
    return [{"role": "user", "content": [{"type": "text", "text": "hear"}, part]}]


def _file(data_url: str) -> list[dict[str, Any]]:
    part = {"type": "file", "file": {"filename": "a.pdf", "file_data": data_url}}
    return [{"role": "user", "content": [part, {"type": "text", "text": "read"}]}]


@pytest.fixture
async def base() -> AsyncIterator[str]:
    server = TestServer(create_app(parse_scenario(SCENARIO)), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


def _oai(base: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base + "/v1", api_key="k", max_retries=0)


async def test_chat_audio_is_heard_and_checked(base: str) -> None:
    oai = _oai(base)
    tone = await oai.chat.completions.create(model="omni", messages=_audio(WAV))  # type: ignore[arg-type]
    assert tone.choices[0].message.content == "tone"
    quiet = await oai.chat.completions.create(model="omni", messages=_audio(SILENCE))  # type: ignore[arg-type]
    assert quiet.choices[0].message.content == "silence"
    bad: list[tuple[list[dict[str, Any]], str]] = [
        (_audio(NOT_PDF), "could not be decoded"),  # not a WAV
        (_audio(WAV, "ogg"), "Supported values are"),
        (_audio("data:audio/wav;base64," + WAV), "Invalid base64"),  # Chat takes raw base64
    ]
    for messages, why in bad:
        with pytest.raises(openai.BadRequestError) as err:
            await oai.chat.completions.create(model="omni", messages=messages)  # type: ignore[arg-type]
        assert why in err.value.message
    with pytest.raises(openai.BadRequestError) as err:
        await oai.chat.completions.create(model="text-only", messages=_audio(WAV))  # type: ignore[arg-type]
    assert "does not support audio input" in err.value.message


async def test_chat_file_is_a_pdf_data_url(base: str) -> None:
    oai = _oai(base)
    reply = await oai.chat.completions.create(
        model="omni",
        messages=_file("data:application/pdf;base64," + PDF),  # type: ignore[arg-type]
    )
    assert reply.choices[0].message.content == "Juniper (42)"  # read from the PDF itself
    for url, why in (
        ("data:application/pdf;base64," + NOT_PDF, "PDF specified was not valid"),
        ("data:text/plain;base64," + NOT_PDF, "application/pdf"),  # Chat takes PDFs only
        ("https://example.invalid/a.pdf", "data URL"),
    ):
        with pytest.raises(openai.BadRequestError) as err:
            await oai.chat.completions.create(model="omni", messages=_file(url))  # type: ignore[arg-type]
        assert why in err.value.message
    with pytest.raises(openai.BadRequestError) as err:
        await oai.chat.completions.create(
            model="text-only",
            messages=_file("data:application/pdf;base64," + PDF),  # type: ignore[arg-type]
        )
    assert "does not support file input" in err.value.message


async def test_responses_input_file(base: str) -> None:
    oai = _oai(base)
    part = {"type": "input_file", "filename": "a.txt",
            "file_data": "data:text/plain;base64," + base64.b64encode(b"plain words").decode()}  # fmt: skip
    turn = [{"role": "user", "content": [part]}]
    out = await oai.responses.create(model="omni", input=turn)  # type: ignore[arg-type]
    assert out.output_text == "plain words"  # text files are read as text
    nameless = {k: v for k, v in part.items() if k != "filename"}
    with pytest.raises(openai.BadRequestError) as err:
        await oai.responses.create(model="omni", input=[{"role": "user", "content": [nameless]}])  # type: ignore[list-item]
    assert "filename" in err.value.message


async def test_messages_document_sources(base: str) -> None:
    claude = anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0)

    def doc(source: dict[str, Any]) -> list[Any]:
        return [{"role": "user", "content": [{"type": "document", "source": source}]}]

    pdf = {"type": "base64", "media_type": "application/pdf", "data": PDF}
    text = {"type": "text", "media_type": "text/plain", "data": "some notes"}
    for source, said in ((pdf, "Juniper (42)"), (text, "some notes")):
        m = await claude.messages.create(model="omni", max_tokens=32, messages=doc(source))
        assert m.content[0].type == "text" and m.content[0].text == said
    broken = [
        {**pdf, "data": NOT_PDF},
        {**pdf, "media_type": "image/png"},
        {"type": "zip", "data": PDF},
    ]
    for source in broken:
        with pytest.raises(anthropic.BadRequestError) as err:
            await claude.messages.create(model="omni", max_tokens=32, messages=doc(source))
        assert err.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError):
        await claude.messages.create(model="text-only", max_tokens=32, messages=doc(pdf))


async def test_gemini_inline_data_by_mime_type(base: str) -> None:
    async def ask(model: str, mime: str, data: str) -> httpx.Response:
        part = {"inlineData": {"mimeType": mime, "data": data}}
        body = {"contents": [{"role": "user", "parts": [part, {"text": "what is it?"}]}]}
        async with httpx.AsyncClient(headers={"x-goog-api-key": "k"}) as client:
            return await client.post(f"{base}/v1beta/models/{model}:generateContent", json=body)

    def said(r: httpx.Response) -> str:
        assert r.status_code == 200, r.text
        return str(r.json()["candidates"][0]["content"]["parts"][0]["text"])

    assert said(await ask("omni", "audio/wav", WAV)) == "tone"
    assert said(await ask("omni", "application/pdf", PDF)) == "Juniper (42)"
    assert said(await ask("omni", "video/mp4", NOT_PDF)) == "OK"  # accepted, nothing to read
    for model, mime, data in (
        ("omni", "application/pdf", NOT_PDF),
        ("omni", "audio/wav", "!!not base64!!"),
        ("text-only", "video/mp4", NOT_PDF),
        ("text-only", "audio/wav", WAV),
    ):
        r = await ask(model, mime, data)
        assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT", r.text
