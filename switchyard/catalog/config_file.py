"""A rendered RouterConfig as stored: plain JSON, or gzip when it is large.

Kubernetes refuses a ConfigMap over 1 MiB (its data and binaryData together), and the rendered
config of a thousand Providers is about 0.9 MB of very repetitive JSON. The
operator stores a large config gzipped in the ConfigMap's binaryData, the kubelet mounts either
form as the same file, and the router reads both: the gzip magic says which.
"""

from __future__ import annotations

import gzip
import zlib

from .errors import SwitchyardError

GZIP_MAGIC = b"\x1f\x8b"
# what a packed config may inflate to: far above any real catalog, far below a memory problem
MAX_INFLATED_BYTES = 64 * 1024 * 1024


class PackedConfigError(SwitchyardError, ValueError):
    """A gzipped config that cannot be read whole."""


def pack(text: str) -> bytes:
    """Deterministic gzip (no timestamp): the same config always packs to the same bytes."""
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def is_packed(raw: bytes) -> bool:
    return raw[:2] == GZIP_MAGIC


def unpack(raw: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """The JSON inside a packed config; never more than ``limit`` bytes are inflated."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise PackedConfigError("gzip data is corrupt") from None
    if len(out) > limit:
        raise PackedConfigError(f"gzip data inflates to more than {limit} bytes")
    if not inflater.eof:
        raise PackedConfigError("gzip data is cut short")
    if inflater.unused_data:
        raise PackedConfigError("bytes follow the gzip data")
    return out
