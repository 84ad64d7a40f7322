"""The compact evidence form: a whole probe run in at most 4 KiB, for a Kubernetes
termination message (the kubelet keeps at most 4096 bytes of it).

Format (stable; version 1)::

    sy1:<base64 of zlib-deflated JSON>

where the JSON is ``{"v": 1, "t": tokens_spent, "s": started_epoch, "c": completed_epoch,
"f": [field names], "r": [[values in field order], ...]}``. Each row list holds the camelCase
EvidenceRow fields named in ``f`` (``at`` as epoch seconds), so an older decoder reading a
newer encoder's extra field fails loudly instead of misplacing values.

The encoder drops row ``detail`` strings (and only those) when that is what it takes to stay
under the limit; it never drops rows. Use :func:`decode_compact` to read it back::

    evidence = decode_compact(pod_termination_message)
    evidence.rows          # list[EvidenceRow]
    evidence.tokens_spent  # int
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from switchyard.catalog import EvidenceRow, SwitchyardError

PREFIX = "sy1:"
LIMIT = 4096
FIELDS: tuple[str, ...] = (
    "task",
    "dialect",
    "layer",
    "result",
    "statusCode",
    "errorClass",
    "latencyMs",
    "inputTokens",
    "outputTokens",
    "selectedUpstream",
    "bridgeDirection",
    "fallback",
    "detail",
    "at",
)


class CompactTooLargeError(SwitchyardError, ValueError):
    """Even without details the rows do not fit the termination message."""


@dataclass(frozen=True)
class CompactEvidence:
    rows: list[EvidenceRow]
    tokens_spent: int
    started_at: datetime | None = None
    completed_at: datetime | None = None


def _epoch(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def _from_epoch(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) else None


def _pack(doc: dict[str, Any]) -> str:
    raw = orjson.dumps(doc)
    return PREFIX + base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def encode_compact(
    rows: Sequence[EvidenceRow],
    tokens_spent: int,
    started_at: datetime | None = None,
    completed_at: datetime | None = None,
    limit: int = LIMIT,
) -> str:
    """The run as one ASCII line of at most `limit` bytes; raises CompactTooLargeError."""
    packed_rows = []
    for row in rows:
        wire = row.model_dump(mode="json", by_alias=True)
        wire["at"] = _epoch(row.at)
        packed_rows.append([wire.get(f) for f in FIELDS])
    doc: dict[str, Any] = {
        "v": 1,
        "t": tokens_spent,
        "s": _epoch(started_at),
        "c": _epoch(completed_at),
        "f": list(FIELDS),
        "r": packed_rows,
    }
    text = _pack(doc)
    if len(text) <= limit:
        return text
    detail = FIELDS.index("detail")
    for row_values in packed_rows:
        row_values[detail] = None
    text = _pack(doc)
    if len(text) <= limit:
        return text
    raise CompactTooLargeError(
        f"{len(rows)} evidence rows need {len(text)} bytes in compact form, over {limit}"
    )


def decode_compact(text: str) -> CompactEvidence:
    """Rows and tokens spent from `encode_compact` output; raises ValueError when it is not."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise ValueError("compact evidence: missing the sy1: prefix")
    try:
        raw = zlib.decompress(base64.b64decode(text[len(PREFIX) :], validate=True))
        doc = orjson.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        raise ValueError("compact evidence: corrupt or truncated payload") from None
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise ValueError("compact evidence: unknown version")
    fields = doc.get("f")
    if not isinstance(fields, list) or not set(fields) <= set(FIELDS):
        raise ValueError("compact evidence: unknown row fields")
    rows = []
    for i, values in enumerate(doc.get("r") or []):
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError(f"compact evidence: row {i} has the wrong length")
        wire = {k: v for k, v in zip(fields, values, strict=True) if v is not None}
        if "at" in wire:
            wire["at"] = _from_epoch(wire["at"])
        try:
            rows.append(EvidenceRow.model_validate(wire))
        except ValidationError:
            raise ValueError(f"compact evidence: row {i} is not an evidence row") from None
    tokens = doc.get("t")
    return CompactEvidence(
        rows=rows,
        tokens_spent=tokens if isinstance(tokens, int) else 0,
        started_at=_from_epoch(doc.get("s")),
        completed_at=_from_epoch(doc.get("c")),
    )
