"""Every input modality is a need: audio, file (document) and video parts go only to targets
whose evidence proves that input, in every caller dialect, and bridges never drop them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchyard.catalog import Capability, Dialect
from switchyard.router.dialects import ADAPTERS
from switchyard.smoke.media import text_pdf, tone_wav

from .harness import (
    ALL_TASKS,
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_router,
)

CALLER = "sk-caller-media-1"
WAV = base64.b64encode(tone_wav()).decode()
PDF = base64.b64encode(text_pdf("Juniper 42")).decode()
PDF_URL = "data:application/pdf;base64," + PDF
TEXT_ONLY = ("text", "streaming", "usage", "image-input")  # images proven, nothing else

AUDIO_PART = {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}}
FILE_PART = {"type": "file", "file": {"filename": "a.pdf", "file_data": PDF_URL}}
DOCUMENT = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                           "data": PDF}}  # fmt: skip
INPUT_FILE = {"type": "input_file", "filename": "a.pdf", "file_data": PDF_URL}


def _user(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, *parts]}]


MEDIA = {Capability.IMAGE_INPUT, Capability.AUDIO_INPUT, Capability.FILE_INPUT,
         Capability.VIDEO_INPUT}  # fmt: skip
GEMINI_MIME = ("audio/wav", "video/mp4", "application/pdf", "image/png")
GEMINI_PARTS = [{"inlineData": {"mimeType": m, "data": "AA=="}} for m in GEMINI_MIME]

# -- detection, per caller dialect ---------------------------------------------------------------
DETECTED: list[tuple[Dialect, dict[str, Any], set[Capability]]] = [
    (Dialect.OPENAI_CHAT, {"messages": _user(AUDIO_PART)}, {Capability.AUDIO_INPUT}),
    (Dialect.OPENAI_CHAT, {"messages": _user(FILE_PART)}, {Capability.FILE_INPUT}),
    (
        Dialect.OPENAI_CHAT,
        {"messages": _user({"type": "image_url", "image_url": {"url": "data:image/png;base64,"}})},
        {Capability.IMAGE_INPUT},
    ),
    (Dialect.OPENAI_RESPONSES, {"input": _user(INPUT_FILE)}, {Capability.FILE_INPUT}),
    (Dialect.OPENAI_RESPONSES, {"input": _user(AUDIO_PART)}, {Capability.AUDIO_INPUT}),
    (
        Dialect.OPENAI_RESPONSES,  # a file returned by a function call is a file need too
        {"input": [{"type": "function_call_output", "call_id": "c", "output": [INPUT_FILE]}]},
        {Capability.FILE_INPUT},
    ),
    (Dialect.ANTHROPIC, {"messages": _user(DOCUMENT)}, {Capability.FILE_INPUT}),
    (
        Dialect.ANTHROPIC,
        {"messages": _user({"type": "tool_result", "tool_use_id": "t", "content": [DOCUMENT]})},
        {Capability.FILE_INPUT},
    ),
    (Dialect.GOOGLE, {"contents": [{"parts": GEMINI_PARTS}]}, MEDIA),
    (
        Dialect.GOOGLE,
        {"contents": [{"parts": [{"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v"}}]}]},
        {Capability.VIDEO_INPUT},
    ),
]


@pytest.mark.parametrize(("dialect", "body", "expected"), DETECTED)
def test_each_part_type_is_its_own_need(
    dialect: Dialect, body: dict[str, Any], expected: set[Capability]
) -> None:
    needs = ADAPTERS[dialect].needs({"model": "g", **body}, 100, 10**6)
    assert needs.capabilities & MEDIA == expected


# -- routing through a real router ---------------------------------------------------------------
@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, mock_process: Mock) -> Iterator[Router]:
    url = mock_process.url + "/v1"
    proven = provider("proven", url, models={"m": "model-media"})
    plain = provider("plain", url, models={"m": "model-text"})
    anth = mock_process.url  # Messages base URLs carry no /v1
    messages = provider("claude", anth, Dialect.ANTHROPIC, models={"m": "model-claude"},
                        auth="x-api-key")  # fmt: skip
    responses = provider("resp", url, Dialect.OPENAI_RESPONSES, models={"m": "model-resp"})
    bridged = provider("bridged", anth, Dialect.ANTHROPIC, models={"m": "model-bridged"},
                       bridges=["chatToMessages"], auth="x-api-key")  # fmt: skip
    groups = [
        G("mixed", [T("plain", weight=50), T("proven", weight=50)]),
        G("plain", [T("plain")]),
        G("claude", [T("claude")]),
        G("resp", [T("resp")]),
        G("bridged", [T("bridged")], restricted=True),  # bridges use native evidence here
    ]
    runs = [
        evidence(proven, tasks=(*ALL_TASKS, "audio-input", "file-input")),
        evidence(plain, tasks=TEXT_ONLY),
        evidence(messages, tasks=(*ALL_TASKS, "file-input")),
        evidence(responses, tasks=(*ALL_TASKS, "file-input")),
        evidence(bridged, tasks=(*ALL_TASKS, "file-input")),
    ]
    config = build([proven, plain, messages, responses, bridged], groups, runs)
    keys = {**provider_keys("proven", "plain", "claude", "resp", "bridged"),
            "bridged-callers": {"c": CALLER}}  # fmt: skip
    with run_router(tmp_path_factory.mktemp("media"), config, keys) as r:
        yield r


@pytest.fixture
def text_only_upstream(mock: Mock) -> Mock:
    """model-text refuses audio and files, as a text-only model of a real service does."""
    mock.scenario({"defaults": {"apiKey": PROVIDER_KEY},
                   "models": {"model-text": {"audio": False, "files": False}}})  # fmt: skip
    return mock


def _chat(router: Router, group: str, *parts: dict[str, Any]) -> httpx.Response:
    body = {"model": group, "messages": _user(*parts), "max_tokens": 64}
    return httpx.post(f"{router.v1}/chat/completions", json=body)


@pytest.mark.parametrize(("part", "capability", "answer"), [
    (AUDIO_PART, "audioInput", "tone"),
    (FILE_PART, "fileInput", "Juniper 42"),
])  # fmt: skip
def test_media_goes_only_to_the_target_that_proved_it(
    router: Router, text_only_upstream: Mock, part: dict[str, Any], capability: str, answer: str
) -> None:
    for _ in range(6):
        r = _chat(router, "mixed", part)
        assert r.status_code == 200, r.text
        assert r.headers["x-switchyard-upstream"] == "proven/m"
        assert r.json()["choices"][0]["message"]["content"] == answer  # the fake read the bytes
    assert text_only_upstream.count("model-text") == 0
    refused = _chat(router, "plain", part)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "NoEligibleTarget" and capability in error["message"]
    assert text_only_upstream.count("model-text") == 0  # nothing went upstream
    plain = {_chat(router, "mixed").headers["x-switchyard-upstream"] for _ in range(30)}
    assert plain == {"plain/m", "proven/m"}  # text requests still use both


def test_the_text_only_upstream_would_have_refused_it(text_only_upstream: Mock) -> None:
    """What routing it there would have cost: the fake refuses like the real service."""
    headers = {"Authorization": f"Bearer {PROVIDER_KEY}"}
    body = {"model": "model-text", "messages": _user(AUDIO_PART)}
    r = httpx.post(f"{text_only_upstream.url}/v1/chat/completions", json=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert "audio" in r.json()["error"]["message"]


def test_messages_document_needs_file_evidence(router: Router, mock: Mock) -> None:
    body = {"model": "claude", "max_tokens": 64, "messages": _user(DOCUMENT)}
    r = httpx.post(f"{router.v1}/messages", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["text"] == "Juniper 42"
    broken = {**DOCUMENT, "source": {**DOCUMENT["source"], "data": WAV}}  # not a PDF
    body = {"model": "claude", "max_tokens": 64, "messages": _user(broken)}
    r = httpx.post(f"{router.v1}/messages", json=body)  # refused upstream, as Anthropic would
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_responses_input_file_needs_file_evidence(router: Router, mock: Mock) -> None:
    body = {"model": "resp", "input": _user(INPUT_FILE), "max_output_tokens": 64}
    r = httpx.post(f"{router.v1}/responses", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["output"][0]["content"][0]["text"] == "Juniper 42"
    audio = {"model": "resp", "input": _user(AUDIO_PART), "max_output_tokens": 64}
    refused = httpx.post(f"{router.v1}/responses", json=audio)
    assert refused.status_code == 400 and "audioInput" in refused.text
    assert mock.count("model-resp") == 1


def test_a_bridge_never_drops_a_file(router: Router, mock: Mock) -> None:
    """Chat callers reach a Messages target through chatToMessages; even where the target's
    native fileInput evidence makes it eligible (a restricted group), the bridge refuses a part
    it cannot translate instead of sending the turn on without its document."""
    auth = {"Authorization": f"Bearer {CALLER}"}
    # the file: eligible, refused by the bridge; audio: Messages has none, so never eligible
    for part, named in ((FILE_PART, "'file'"), (AUDIO_PART, "audioInput")):
        body = {"model": "bridged", "messages": _user(part), "max_tokens": 64}
        r = httpx.post(f"{router.v1}/chat/completions", json=body, headers=auth)
        assert r.status_code == 400 and named in r.json()["error"]["message"]
    assert mock.count("model-bridged") == 0
    body = {"model": "bridged", "messages": _user(), "max_tokens": 64}
    assert httpx.post(f"{router.v1}/chat/completions", json=body, headers=auth).status_code == 200
