"""A router in front of the fake upstream with one restricted group per client cell: each
group has a single target on the skin (and so the path: native or a bridge) the cell tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchyard.catalog import Dialect

from ..router.harness import (
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_router,
)

CALLER = "sk-caller-clients-7c1d"
SKINS = {"chat": Dialect.OPENAI_CHAT, "resp": Dialect.OPENAI_RESPONSES, "anth": Dialect.ANTHROPIC}
UPSTREAM_PATH = {"chat": "/v1/chat/completions", "resp": "/v1/responses", "anth": "/v1/messages"}
BRIDGES = {
    "chat": ["responsesToChat", "messagesToChat"],
    "resp": ["chatToResponses"],
    "anth": ["chatToMessages"],
}


@dataclass(frozen=True)
class Cell:
    agent: str  # tests/clients/agents.py AGENTS key
    group: str  # the model name the client asks for
    skin: str  # the target's skin: chat | resp | anth
    bridge: str | None  # None: native

    @property
    def served(self) -> str:
        return f"{self.skin}-{self.group}"

    @property
    def reply(self) -> str:
        return f"Switchyard answer for {self.group} via {self.bridge or 'native'}"


CELLS = (
    Cell("codex", "codex-native", "resp", None),
    Cell("codex", "codex-chat", "chat", "responsesToChat"),
    Cell("claude-code", "claude-native", "anth", None),
    Cell("claude-code", "claude-chat", "chat", "messagesToChat"),
    Cell("opencode", "opencode-native", "chat", None),
    Cell("opencode", "opencode-resp", "resp", "chatToResponses"),
    Cell("opencode", "opencode-anth", "anth", "chatToMessages"),
)


def scenario() -> dict[str, Any]:
    # tools off: the fake answers text even though every agent offers its tools
    models = {c.served: {"reply": c.reply} for c in CELLS}
    return {"defaults": {"apiKey": PROVIDER_KEY, "tools": False}, "models": models}


@dataclass
class ClientStack:
    mock: Mock
    router: Router


@contextlib.contextmanager
def run_stack(tmp: Path, mock: Mock) -> Iterator[ClientStack]:
    providers, runs = [], []
    for skin, dialect in SKINS.items():
        refs = {c.group: c.served for c in CELLS if c.skin == skin}
        auth = "x-api-key" if dialect is Dialect.ANTHROPIC else "bearer"
        p = provider(skin, mock.url + "/v1", dialect, refs, bridges=BRIDGES[skin], auth=auth)
        providers.append(p)
        control = "anthropic-budget" if dialect is Dialect.ANTHROPIC else "openai-effort"
        runs += [evidence(p, ref, reasoning=control) for ref in refs]
    groups = [G(c.group, [T(c.skin, c.group)], restricted=True, max_attempts=1) for c in CELLS]
    secrets = provider_keys(*SKINS)
    for g in groups:
        secrets[f"{g.name}-callers"] = {"c": CALLER}
    with run_router(tmp, build(providers, groups, runs), secrets) as router:
        yield ClientStack(mock, router)
