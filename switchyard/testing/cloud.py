"""The fake upstream as Amazon Bedrock and Vertex AI: it VERIFIES credentials the way the real
services do and answers in their error shapes.

* Bedrock (``/model/{id}/invoke``, ``/invoke-with-response-stream``): the SigV4 signature is
  recomputed with botocore from the bytes received and the scenario's credentials; an unknown
  key, a foreign region, a stale date or a wrong signature is a 403 with ``{"message"}`` and the
  ``x-amzn-ErrorType`` header. Streams go out in the AWS event-stream framing (written here:
  botocore only parses it). Bodies must carry ``anthropic_version: bedrock-2023-05-31`` and no
  ``model``/``stream``.
* Vertex AI (``/projects/{p}/locations/{r}/publishers/{anthropic|google}/models/{m}:...``): the
  bearer token must be one this fake's token endpoint issued and not expired (else 401
  UNAUTHENTICATED); a foreign project is 403, a location without the model 404. Anthropic
  bodies must carry ``anthropic_version: vertex-2023-10-16`` and no ``model``.
* ``POST /token``: Google's OAuth token endpoint for the JWT-bearer grant; the assertion's RS256
  signature is checked against the service account's public key (google-auth verifies it).

This module uses botocore and google-auth directly, never switchyard's own cloud or wire code.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import struct
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from switchyard.catalog import SwitchyardError

BEDROCK = re.compile(r"/model/(?P<model>[^/]+)/(?P<method>invoke|invoke-with-response-stream)$")
VERTEX = re.compile(
    r"/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/publishers/"
    r"(?P<publisher>anthropic|google)/models/(?P<model>[^/:]+):(?P<method>\w+)$"
)
AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# a service account's assertion is addressed to Google's token endpoint, whatever token_uri says
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class AwsCredential(_Model):
    secret_access_key: str
    session_token: str | None = None


class AwsScenario(_Model):
    """Bedrock's account: its region and the access keys it knows."""

    region: str = "us-east-1"
    credentials: dict[str, AwsCredential] = Field(default_factory=dict)  # access key id ->
    max_skew_seconds: int = Field(default=300, ge=1)


class VertexScenario(_Model):
    """Vertex AI's project: where the models are, and the service accounts it trusts."""

    project: str = "switchyard-test"
    region: str = "us-east5"
    service_accounts: dict[str, str] = Field(default_factory=dict)  # client_email -> public PEM
    token_lifetime_seconds: int = Field(default=3600, ge=1)


class CloudScenario(_Model):
    aws: AwsScenario | None = None
    vertex: VertexScenario | None = None


class Refusal(SwitchyardError):  # noqa: N818 - an answer, not a fault
    """A request the cloud refuses: status, JSON body and headers of the real service."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _aws(status: int, kind: str, message: str) -> Refusal:
    error_type = f"{kind}:http://internal.amazon.com/coral/com.amazon.coral.service/"
    return Refusal(status, {"message": message}, {"x-amzn-ErrorType": error_type})


def _google(status: int, name: str, message: str) -> Refusal:
    return Refusal(status, {"error": {"code": status, "message": message, "status": name}})


def verify_sigv4(
    aws: AwsScenario, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> None:
    """Recompute the request's SigV4 signature with botocore; raise Refusal on any mismatch."""
    match = AUTH.match(headers.get("Authorization", ""))
    if match is None:
        raise _aws(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    cred = aws.credentials.get(match["key"])
    if cred is None:
        raise _aws(403, "UnrecognizedClientException",
                   "The security token included in the request is invalid.")  # fmt: skip
    if match["region"] != aws.region or match["service"] != "bedrock":
        raise _aws(403, "InvalidSignatureException",
                   "Credential should be scoped to a valid region.")  # fmt: skip
    amz_date = headers.get("X-Amz-Date", "")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _aws(403, "IncompleteSignatureException", "Date must be in ISO-8601 format") from None
    if abs(time.time() - when.timestamp()) > aws.max_skew_seconds:
        raise _aws(403, "InvalidSignatureException", "Signature expired")
    if cred.session_token is not None and headers.get("X-Amz-Security-Token") != cred.session_token:
        raise _aws(403, "UnrecognizedClientException",
                   "The security token included in the request is invalid.")  # fmt: skip
    signed = match["signed"].split(";")
    request = AWSRequest(method=method, url=url, data=body,
                         headers={h: headers.get(h, "") for h in signed})  # fmt: skip
    request.context["timestamp"] = amz_date
    creds = ReadOnlyCredentials(match["key"], cred.secret_access_key, cred.session_token)
    signer = SigV4Auth(creds, "bedrock", aws.region)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, match["signature"]):
        raise _aws(403, "InvalidSignatureException",
                   "The request signature we calculated does not match the signature you "
                   "provided. Check your AWS Secret Access Key and signing method.")  # fmt: skip


def bedrock_body(body: dict[str, Any], model: str, stream: bool) -> dict[str, Any]:
    """Bedrock's checks of an Anthropic body, then the body as the fake model reads it."""
    for key in ("model", "stream"):
        if key in body:
            raise _aws(400, "ValidationException", f"extraneous key [{key}] is not permitted")
    if body.get("anthropic_version") != "bedrock-2023-05-31":
        raise _aws(400, "ValidationException", "invalid anthropic_version")
    return {**body, "model": unquote(model), "stream": stream}


class TokenIssuer:
    """The OAuth token endpoint's memory: tokens it issued and when they expire."""

    def __init__(self) -> None:
        self._tokens: dict[str, float] = {}

    def issue(
        self, vertex: VertexScenario, form: Mapping[str, str], audience: str
    ) -> dict[str, Any]:
        from google.auth import exceptions, jwt

        if form.get("grant_type") != JWT_BEARER or "assertion" not in form:
            raise Refusal(400, {"error": "unsupported_grant_type"})
        try:
            unverified = jwt.decode(form["assertion"], verify=False)  # type: ignore[no-untyped-call]
            pem = vertex.service_accounts.get(str(unverified.get("iss")))
            if pem is None:
                raise Refusal(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Invalid grant: account not found",
                    },
                )
            jwt.decode(form["assertion"], certs=pem, audience=audience)  # type: ignore[no-untyped-call]
        except (exceptions.GoogleAuthError, ValueError):
            raise Refusal(400, {"error": "invalid_grant",
                                "error_description": "Invalid JWT Signature."}) from None  # fmt: skip
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self._tokens[token] = time.time() + vertex.token_lifetime_seconds
        return {"access_token": token, "expires_in": vertex.token_lifetime_seconds,
                "token_type": "Bearer"}  # fmt: skip

    def check(self, header: str | None) -> None:
        token = (header or "")[7:] if (header or "").lower().startswith("bearer ") else ""
        expiry = self._tokens.get(token)
        if expiry is None or expiry <= time.time():
            raise _google(401, "UNAUTHENTICATED",
                          "Request had invalid authentication credentials. Expected OAuth 2 "
                          "access token, login cookie or other valid authentication "
                          "credential.")  # fmt: skip

    def expire_all(self) -> None:
        self._tokens = dict.fromkeys(self._tokens, 0.0)


def verify_vertex(vertex: VertexScenario, issuer: TokenIssuer, match: re.Match[str],
                  authorization: str | None) -> None:  # fmt: skip
    issuer.check(authorization)
    if match["project"] != vertex.project:
        raise _google(403, "PERMISSION_DENIED",
                      f"Permission denied on resource project {match['project']}.")  # fmt: skip
    if match["region"] != vertex.region:
        raise _google(404, "NOT_FOUND", f"Publisher Model `projects/{match['project']}/"
                      f"locations/{match['region']}/publishers/{match['publisher']}/models/"
                      f"{match['model']}` not found.")  # fmt: skip


def vertex_anthropic_body(body: dict[str, Any], model: str, method: str) -> dict[str, Any]:
    if "model" in body:
        raise _google(400, "INVALID_ARGUMENT", "Invalid JSON payload: model is not a field")
    if body.get("anthropic_version") != "vertex-2023-10-16":
        raise _google(400, "INVALID_ARGUMENT", "anthropic_version: vertex-2023-10-16 required")
    if method not in ("rawPredict", "streamRawPredict"):
        raise _google(400, "INVALID_ARGUMENT", f"method {method} is not served here")
    return {**body, "model": model, "stream": method == "streamRawPredict"}


# ---------------------------------------------------------------- AWS event-stream framing


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + b"\x07"
        + struct.pack("!H", len(raw_value))
        + raw_value
    )


def event_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One message: prelude (total and headers length, CRC), headers, payload, message CRC."""
    head = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack("!II", total, len(head))
    prelude += struct.pack("!I", binascii.crc32(prelude))
    message = prelude + head + payload
    return message + struct.pack("!I", binascii.crc32(message))


def bedrock_frames(sse_frames: list[bytes]) -> list[bytes]:
    """Anthropic SSE frames as Bedrock stream messages (``chunk`` events, or an exception)."""
    out = []
    for frame in sse_frames:
        data = next((ln[6:] for ln in frame.splitlines() if ln.startswith(b"data: ")), b"")
        try:
            event = orjson.loads(data)
        except ValueError:  # a deliberately broken frame: send the broken bytes as they are
            out.append(frame)
            continue
        if event.get("type") == "error":
            headers = {":exception-type": "modelStreamErrorException",
                       ":content-type": "application/json", ":message-type": "exception"}  # fmt: skip
            out.append(event_message(headers, orjson.dumps({"message": "Model stream error"})))
            continue
        payload = orjson.dumps({"bytes": base64.b64encode(data).decode(), "p": "abcdefgh"})
        headers = {":event-type": "chunk", ":content-type": "application/json",
                   ":message-type": "event"}  # fmt: skip
        out.append(event_message(headers, payload))
    return out
