"""A lean HTTP/1.1 client for the router's upstream hop (httptools on the running loop).

aiohttp's client machinery cost more CPU per request than all of the router's own work
(issue 17); this does only what that hop needs. Limits and behaviour: docs/limits.md.
"""

from .conn import HIGH_WATER, Response
from .errors import (
    UpstreamBodyError,
    UpstreamConnectError,
    UpstreamIOError,
    UpstreamRequestError,
    UpstreamTimeoutError,
    UpstreamTooLargeError,
)
from .pool import Pool

__all__ = [
    "HIGH_WATER",
    "Pool",
    "Response",
    "UpstreamBodyError",
    "UpstreamConnectError",
    "UpstreamIOError",
    "UpstreamRequestError",
    "UpstreamTimeoutError",
    "UpstreamTooLargeError",
]
