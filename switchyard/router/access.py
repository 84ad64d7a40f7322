"""Caller access: who may use a group. Tokens are compared as SHA-256 digests in constant time.

Default policy (RouterConfig settings.defaultAccess): `open` lets any caller use groups that are
not restricted (the network boundary is the control); `callers` requires a token from
settings.defaultCallerSecret. A restricted group accepts only tokens from its own caller Secret.
The operator's confirmation token (settings.operatorTokenDigest) is accepted on every group, but
only for the minimal request it sends after a rollback (``confirmation_only``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from switchyard.catalog import DefaultAccess, Dialect, RouterGroup
from switchyard.wire import output_cap

from .config import LoadedConfig, token_digest


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int = 200
    message: str = ""
    caller: str = ""  # a digest prefix: enough to key sessions, useless as a credential
    operator: bool = False  # the operator's own token: confirmation requests, pinned smokes


OPEN = Decision(True)  # an anonymous caller of an open group (the common case, built once)


def caller_token(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    key = headers.get("x-api-key", "").strip() or headers.get("x-goog-api-key", "").strip()
    return key or None


def _member(digest: bytes, accepted: frozenset[bytes]) -> bool:
    found = False
    for candidate in accepted:  # no early exit: time does not depend on the position
        found |= hmac.compare_digest(digest, candidate)
    return found


def decide(cfg: LoadedConfig, group: RouterGroup, token: str | None) -> Decision:
    digest = token_digest(token) if token else None
    caller = digest.hex()[:16] if digest else ""
    confirm = cfg.operator_digest
    if digest is not None and confirm is not None and hmac.compare_digest(digest, confirm):
        return Decision(True, caller=caller, operator=True)
    if group.restricted:
        secret = group.caller_secret
    elif cfg.config.settings.default_access is DefaultAccess.CALLERS:
        secret = cfg.config.settings.default_caller_secret
    else:
        return Decision(True, caller=caller) if caller else OPEN
    if digest is None:
        return Decision(False, 401, "a caller token is required for this model group")
    if not _member(digest, cfg.callers.get(secret or "", frozenset())):
        return Decision(False, 403, "this caller may not use this model group")
    return Decision(True, caller=caller)


CONFIRMATION_MAX_CAP = 16


def confirmation_only(dialect: Dialect, body: dict[str, Any]) -> str | None:
    """Why ``body`` is not a confirmation request (None when it is): the operator's token buys
    one short text answer, nothing that costs more or reaches further."""
    cap = output_cap(dialect, body)
    if body.get("stream") is True:
        return "the confirmation token may not stream"
    if body.get("tools") or body.get("functions"):
        return "the confirmation token may not send tools"
    if cap is None or cap > CONFIRMATION_MAX_CAP:
        return f"the confirmation token needs an output cap of at most {CONFIRMATION_MAX_CAP}"
    return None
