"""Eligibility: may this target serve this request? Pure, and the router's only judge.

A capability is usable only where evidence proved it on the dialect that will serve the request:
natively when the caller speaks the provider's dialect, or through an enabled bridge. In a
restricted (smoke) group an enabled bridge is usable for whatever the target proved natively,
which is how bridge evidence is gathered; elsewhere only what router smokes proved through it.
Likewise ``ROUTER_PROOF`` capabilities (image input, large payloads, reasoning) are routed in open
groups only once a router-layer smoke proved them for the target too. ``BRIDGE_ONLY`` needs
(explicitly asked parallel tool calls) count only on a bridged route: natively the caller's own
field reaches the target unchanged, and the target honours it as it would without the router.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .router_config import RouterGroup, RouterModel, RouterProvider, RouterTarget
from .vocabulary import (
    BRIDGE_ONLY,
    ROUTER_PROOF,
    BridgeDirection,
    Capability,
    Dialect,
    bridge_for,
)

DEFAULT_CONTEXT_WINDOW = 131072  # tokens, for a model whose contextWindow is not set
BYTES_PER_TOKEN = 4  # the estimate: request bytes / 4 (tool schemas and JSON framing included)
STEPS_PER_OCTAVE = 16  # estimates round up to 1/16 of their power of two (at most +6.25%)


def estimate_prompt_tokens(body_bytes: int) -> int:
    """A deliberately generous prompt-token estimate, rounded up to one of a few hundred
    values (16 per power of two), so per-request eligibility stays cacheable."""
    tokens = -(-body_bytes // BYTES_PER_TOKEN)
    step = max(1, (1 << max(tokens - 1, 0).bit_length()) // STEPS_PER_OCTAVE)
    return -(-tokens // step) * step


@dataclass(frozen=True)
class RequestNeeds:
    """What one request needs, derived from its body by the router's dialect adapters."""

    inbound: Dialect
    capabilities: frozenset[Capability] = frozenset({Capability.TEXT})
    capped: bool = False  # an explicit output cap (max_tokens & co.)
    hosted_tools: frozenset[str] = field(default_factory=frozenset)
    prompt_tokens: int = 0  # estimate_prompt_tokens of the request (0: not estimated)

    @property
    def has_tools(self) -> bool:
        return Capability.TOOLS in self.capabilities or bool(self.hosted_tools)

    def all_capabilities(self) -> frozenset[Capability]:
        return self.capabilities | {Capability.TEXT}


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    route: str | None = None  # native:<dialect> or bridge:<direction>
    bridge: BridgeDirection | None = None
    reason: str | None = None  # safe to show a caller: names needs, never internals
    missing: frozenset[Capability] = frozenset()

    def __bool__(self) -> bool:
        return self.eligible


def _no(reason: str, missing: frozenset[Capability] = frozenset()) -> Eligibility:
    return Eligibility(False, reason=reason, missing=missing)


def check(
    needs: RequestNeeds,
    provider: RouterProvider,
    model: RouterModel,
    target: RouterTarget,
    group: RouterGroup,
) -> Eligibility:
    """Decide one target for one request; the reason says which need was not met."""
    if model.access_failure is not None:
        return _no(f"target blocked by an access failure ({model.access_failure.value})")
    if target.tool_only and not needs.has_tools:
        return _no("toolOnly target serves only tool requests")

    bridge: BridgeDirection | None = None
    if needs.inbound is provider.dialect:
        proven = set(model.verified)
        route = f"native:{provider.dialect.value}"
        if not group.restricted:  # open groups: these need router-level proof as well
            unrouted = ROUTER_PROOF & needs.capabilities & proven - set(model.router_verified)
            if unrouted:
                names = ", ".join(sorted(c.value for c in unrouted))
                return _no(f"proven upstream but not yet through the router: {names}", unrouted)
    else:
        bridge = bridge_for(needs.inbound, provider.dialect)
        enabled = {b.direction: b for b in model.bridges}
        if bridge is None or bridge not in enabled:
            return _no(f"no enabled bridge from {needs.inbound.value} to {provider.dialect.value}")
        route = f"bridge:{bridge.value}"
        proven = set(model.verified) if group.restricted else set(enabled[bridge].verified)
        if not group.restricted:
            proven &= set(model.verified)  # a bridge never proves more than the upstream did

    if needs.hosted_tools:
        if bridge is not None:
            return _no("hosted tools are served only on their native dialect")
        unproven = sorted(needs.hosted_tools - set(model.hosted_tools))
        if unproven:
            return _no(f"hosted tool not proven: {', '.join(unproven)}")

    needed = needs.all_capabilities()
    if bridge is None:
        needed -= BRIDGE_ONLY  # native: the caller's own field reaches the target as sent
    missing = frozenset(needed - proven)
    if missing:
        names = ", ".join(sorted(c.value for c in missing))
        return _no(f"not proven on {route}: {names}", missing)
    if needs.capped and model.honors_max_tokens is False:
        return _no("target ignores output caps (honorsMaxTokens: false)")
    window = model.context_window or DEFAULT_CONTEXT_WINDOW
    if needs.prompt_tokens > window:
        return _no(f"prompt of about {needs.prompt_tokens} tokens exceeds the context window "
                   f"({window})")  # fmt: skip
    return Eligibility(True, route=route, bridge=bridge)


def eligible_route(provider: RouterProvider, model: RouterModel, inbound: Dialect) -> str | None:
    """The dialect a caller of `inbound` would reach this target through, ignoring needs."""
    if inbound is provider.dialect:
        return f"native:{provider.dialect.value}"
    bridge = bridge_for(inbound, provider.dialect)
    if bridge is not None and any(b.direction is bridge for b in model.bridges):
        return f"bridge:{bridge.value}"
    return None
