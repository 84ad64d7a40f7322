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


# the shell tool each agent offers, and how to ask it for a harmless command whose output the
# request never contains (the shell computes 42): the final answer quotes the tool result
COMMAND = "echo switchyard-$((6*7))"
MARKER = "switchyard-42"
SHELL_TOOLS = {
    "codex": ("exec_command", {"cmd": COMMAND}),
    "claude-code": ("Bash", {"command": COMMAND, "description": "Print a marker"}),
    "opencode": ("bash", {"command": COMMAND, "description": "Print a marker"}),
}


@dataclass(frozen=True)
class Cell:
    agent: str  # tests/clients/agents.py AGENTS key
    group: str  # the model name the client asks for (text turn); tool turn: group + "-tools"
    skin: str  # the target's skin: chat | resp | anth
    bridge: str | None  # None: native

    @property
    def served(self) -> str:
        return f"{self.skin}-{self.group}"

    @property
    def tools_group(self) -> str:
        return f"{self.group}-tools"

    @property
    def tools_served(self) -> str:
        return f"{self.skin}-{self.tools_group}"

    @property
    def reply(self) -> str:
        return f"Switchyard answer for {self.group} via {self.bridge or 'native'}"


CELLS = (
    Cell("codex", "codex-native", "resp", None),
    Cell("codex", "codex-chat", "chat", "responsesToChat"),
    Cell("claude-code", "claude-native", "anth", None),
    Cell("claude-code", "claude-chat", "chat", "messagesToChat"),
    # a group named like a model Claude Code knows: it then sends fixed thinking budgets and
    # a deferred (defer_loading) tool instead of mid-conversation system turns
    Cell("claude-code", "claude-opus-4-6", "chat", "messagesToChat"),
    Cell("opencode", "opencode-native", "chat", None),
    Cell("opencode", "opencode-resp", "resp", "chatToResponses"),
    Cell("opencode", "opencode-anth", "anth", "chatToMessages"),
)


def scenario() -> dict[str, Any]:
    # text turn: tools off, the fake answers text even though every agent offers its tools;
    # tool turn: call the agent's shell tool, then quote what it printed
    models: dict[str, Any] = {c.served: {"reply": c.reply} for c in CELLS}
    for c in CELLS:
        tool, arguments = SHELL_TOOLS[c.agent]
        models[c.tools_served] = {
            "reply": "Untitled",  # requests that offer no tools (opencode's title request)
            "script": [
                {"call": {"tool": tool, "arguments": arguments}},
                {"reply": f"The command printed {{result}} via {c.bridge or 'native'}"},
            ],
        }
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
        refs |= {c.tools_group: c.tools_served for c in CELLS if c.skin == skin}
        auth = "x-api-key" if dialect is Dialect.ANTHROPIC else "bearer"
        p = provider(skin, mock.url + "/v1", dialect, refs, bridges=BRIDGES[skin], auth=auth)
        providers.append(p)
        control = "anthropic-budget" if dialect is Dialect.ANTHROPIC else "openai-effort"
        runs += [evidence(p, ref, reasoning=control) for ref in refs]
    groups = [
        G(name, [T(c.skin, name)], restricted=True, max_attempts=1)
        for c in CELLS
        for name in (c.group, c.tools_group)
    ]
    secrets = provider_keys(*SKINS)
    for g in groups:
        secrets[f"{g.name}-callers"] = {"c": CALLER}
    with run_router(tmp, build(providers, groups, runs), secrets) as router:
        yield ClientStack(mock, router)
