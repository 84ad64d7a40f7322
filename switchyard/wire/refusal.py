"""The refusal of a request that cannot be sent as the caller asked."""

from __future__ import annotations

from switchyard.catalog import SwitchyardError


class RequestRefused(SwitchyardError):  # noqa: N818 - a refusal, not a fault of ours
    """A request shape that cannot be honoured on the chosen target (a 400 to the caller);
    the message names the field and is safe to show."""
