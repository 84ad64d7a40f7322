"""What the upstream client raises: one type per error class, messages free of wire content.

No message ever carries a header, a body byte or the peer's own words: only what failed.
"""

from __future__ import annotations

from typing import ClassVar

from switchyard.catalog import ErrorClass, SwitchyardError


class UpstreamIOError(SwitchyardError):
    """Root of the client's failures; `error_class` is how the router books it."""

    error_class: ClassVar[ErrorClass] = ErrorClass.CONNECT_ERROR


class UpstreamTimeoutError(UpstreamIOError):
    """Connecting took longer than connect_timeout, or the peer fell silent for read_timeout."""

    error_class = ErrorClass.TIMEOUT


class UpstreamConnectError(UpstreamIOError):
    """No connection, or the peer closed it (or sent a broken head) before a response head."""

    error_class = ErrorClass.CONNECT_ERROR


class UpstreamBodyError(UpstreamIOError):
    """The response body broke off: cut short, a bad chunk, or undecodable compression."""

    error_class = ErrorClass.UPSTREAM_ERROR


class UpstreamTooLargeError(UpstreamIOError):
    """A whole reply longer than the router takes (max_reply_bytes): a broken target."""

    error_class = ErrorClass.BAD_RESPONSE


class UpstreamRequestError(UpstreamIOError):
    """The request itself cannot be written (a header with a line break, a bad URL)."""

    error_class = ErrorClass.BAD_REQUEST
