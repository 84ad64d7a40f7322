"""Per-request credentials: a SigV4 signature over the exact bytes sent, or a bearer token.

Nothing here is hand-rolled crypto: botocore signs (``SigV4Auth``) and resolves the AWS
environment chain (env vars, web identity / IRSA token file, shared files, ...); google-auth
performs the service-account JWT-bearer flow against the key's ``token_uri`` (or application
default credentials) and tells when a token expires. Blocking work (a token refresh, a chain
lookup) runs in a worker thread under a lock, so one refresh serves every waiting request.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping
from typing import Any, Protocol

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import BotoCoreError

from switchyard.catalog import AuthScheme, SwitchyardError

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
BEDROCK_SERVICE = "bedrock"
REFRESH_MARGIN = datetime.timedelta(minutes=5)  # refresh a token this long before it expires


class CloudAuthError(SwitchyardError):
    """Credentials that cannot be used (unreadable, refused by the token endpoint, absent from
    the environment); the message never holds a credential."""


class CloudAuth(Protocol):
    async def headers(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, str]:
        """The auth headers of one request (raises CloudAuthError)."""
        ...


class AwsSigV4:
    """Signs each request with SigV4 for Bedrock in ``region``."""

    def __init__(self, region: str, secret: str | None) -> None:
        self.region = region
        self._static = _aws_secret(secret) if secret is not None else None
        self._chain: Credentials | None = None
        self._lock = asyncio.Lock()

    async def _credentials(self) -> ReadOnlyCredentials:
        if self._static is not None:
            return self._static
        async with self._lock:
            if self._chain is None:
                self._chain = await asyncio.to_thread(_environment_chain)
        chain: Any = self._chain
        # refreshable (web identity) credentials refresh themselves when close to expiry
        try:
            return await asyncio.to_thread(chain.get_frozen_credentials)
        except BotoCoreError:
            raise CloudAuthError("AWS credentials could not be refreshed") from None

    async def headers(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, str]:
        creds = await self._credentials()
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        SigV4Auth(creds, BEDROCK_SERVICE, self.region).add_auth(request)
        signed = {k: v for k, v in request.headers.items() if k.lower() not in _lower(headers)}
        return {str(k): str(v) for k, v in signed.items()}


def _lower(headers: Mapping[str, str]) -> set[str]:
    return {k.lower() for k in headers}


def _aws_secret(text: str) -> ReadOnlyCredentials:
    """AWS credentials from a Secret: JSON in the credential_process shape."""
    try:
        data = orjson.loads(text)
        return ReadOnlyCredentials(
            str(data["AccessKeyId"]), str(data["SecretAccessKey"]), data.get("SessionToken")
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CloudAuthError(
            "AWS credentials must be JSON with AccessKeyId and SecretAccessKey"
        ) from None


def _environment_chain() -> Credentials:
    import botocore.session

    creds = botocore.session.get_session().get_credentials()
    if creds is None:
        raise CloudAuthError("no AWS credentials in the environment")
    return creds


class GoogleOAuth:
    """Bearer tokens from a service-account key (JWT-bearer flow) or application default
    credentials; cached until REFRESH_MARGIN before expiry."""

    def __init__(self, secret: str | None) -> None:
        self._info = _google_secret(secret) if secret is not None else None
        self._creds: Any = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        creds = self._creds
        if creds is None or not creds.token:
            return False
        expiry = creds.expiry
        if expiry is None:
            return True
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        return bool(expiry - REFRESH_MARGIN > now)

    async def token(self) -> str:
        async with self._lock:
            if not self._fresh():
                await asyncio.to_thread(self._refresh)
            return str(self._creds.token)

    def _refresh(self) -> None:
        import google.auth
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import service_account

        try:
            if self._creds is None:
                if self._info is not None:
                    self._creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                        self._info, scopes=[CLOUD_PLATFORM_SCOPE]
                    )
                else:
                    self._creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            self._creds.refresh(google.auth.transport.requests.Request())
        except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
            raise CloudAuthError(
                f"Google access token could not be obtained ({type(exc).__name__})"
            ) from None

    async def headers(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}


def _google_secret(text: str) -> dict[str, Any]:
    try:
        info = orjson.loads(text)
    except ValueError:
        raise CloudAuthError("the Google service-account key is not JSON") from None
    needed = ("client_email", "private_key", "token_uri")
    if not isinstance(info, dict) or any(not isinstance(info.get(k), str) for k in needed):
        raise CloudAuthError("the Google service-account key needs client_email, private_key "
                             "and token_uri")  # fmt: skip
    return info


def cloud_auth(scheme: AuthScheme, region: str | None, secret: str | None) -> CloudAuth | None:
    """The per-request auth of a cloud scheme (None for key schemes: static headers)."""
    if scheme is AuthScheme.AWS_SIGV4:
        if region is None:
            raise CloudAuthError("aws-sigv4 needs a region")
        return AwsSigV4(region, secret)
    if scheme is AuthScheme.GOOGLE_OAUTH:
        return GoogleOAuth(secret)
    return None
