"""The same dialect on Amazon Bedrock and Vertex AI: paths, body changes and stream framing.

=========  ==========  ======================================================================
platform   dialect     request
=========  ==========  ======================================================================
direct     any         ``wire.upstream_request`` (the vendor's own paths)
bedrock    anthropic   ``/model/{id}/invoke`` or ``/invoke-with-response-stream``; body without
                       ``model``/``stream``, ``anthropic_version: bedrock-2023-05-31``; streams
                       come back in the AWS event-stream framing (``BedrockEvents``)
vertex     anthropic   ``/projects/{p}/locations/{r}/publishers/anthropic/models/{m}:rawPredict``
                       or ``:streamRawPredict`` (``stream: true`` stays in the body); body without
                       ``model``, ``anthropic_version: vertex-2023-10-16``
vertex     google      ``/projects/{p}/locations/{r}/publishers/google/models/{m}:generateContent``
                       or ``:streamGenerateContent?alt=sse``
=========  ==========  ======================================================================

Model ids are percent-encoded into the path (Bedrock ids hold ``:``), so the signed path and
the sent path are the same bytes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from switchyard.catalog import Dialect, Platform

from .body import upstream_request
from .names import GOOGLE_GENERATE, GOOGLE_SSE_QUERY, GOOGLE_STREAM

JSON = dict[str, Any]
BEDROCK_VERSION = "bedrock-2023-05-31"
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
EVENT_STREAM = "application/vnd.amazon.eventstream"


def _model(body: JSON) -> str:
    return quote(str(body.get("model", "")), safe="")


def platform_request(
    platform: Platform, dialect: Dialect, body: JSON, region: str | None, project: str | None
) -> tuple[str, JSON]:
    """The path under the base URL and the body actually sent on ``platform``."""
    stream = body.get("stream") is True
    if platform is Platform.BEDROCK:
        out = {k: v for k, v in body.items() if k not in ("model", "stream")}
        out["anthropic_version"] = BEDROCK_VERSION
        method = "invoke-with-response-stream" if stream else "invoke"
        return f"/model/{_model(body)}/{method}", out
    if platform is Platform.VERTEX:
        base = f"/projects/{project}/locations/{region}/publishers"
        if dialect is Dialect.GOOGLE:
            out = {k: v for k, v in body.items() if k not in ("model", "stream")}
            if stream:
                return (
                    f"{base}/google/models/{_model(body)}:{GOOGLE_STREAM}?{GOOGLE_SSE_QUERY}",
                    out,
                )
            return f"{base}/google/models/{_model(body)}:{GOOGLE_GENERATE}", out
        out = {k: v for k, v in body.items() if k != "model"}
        out["anthropic_version"] = VERTEX_ANTHROPIC_VERSION
        method = "streamRawPredict" if stream else "rawPredict"
        return f"{base}/anthropic/models/{_model(body)}:{method}", out
    return upstream_request(dialect, body)


def stream_accept(platform: Platform) -> str:
    """The Accept header of a streamed request on ``platform``."""
    return EVENT_STREAM if platform is Platform.BEDROCK else "text/event-stream"
