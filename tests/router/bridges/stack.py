"""A fake upstream and real router processes wired with every bridge, for conformance tests."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchyard.catalog import Dialect, RouterSettings

from ..harness import (
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

CALLER = "sk-caller-conformance-1"
OTHER_CALLER = "sk-caller-conformance-2"
REPLY = "The quick brown fox jumps over the lazy dog near the river bank today"
REFS = ("m", "par", "cut", "err", "down")
SKINS = {"chat": Dialect.OPENAI_CHAT, "resp": Dialect.OPENAI_RESPONSES, "anth": Dialect.ANTHROPIC}
BRIDGES = {
    "chat": ["responsesToChat", "messagesToChat"],
    "resp": ["chatToResponses"],
    "anth": ["chatToMessages"],
}
STATEFUL = {"header": "X-Session-Id", "stateful": True}
EXTRA_GROUPS = {  # stateful session groups on the Responses target
    "resp-small": {**STATEFUL, "maxEntries": 1},
    "resp-ttl": {**STATEFUL, "ttlSeconds": 1},
}
WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "region": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer"},
        "hourly": {"type": "boolean"},
    },
    "required": ["city", "country", "region", "unit", "days", "hourly"],
}
CLOCK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"timezone": {"type": "string"}},
    "required": ["timezone"],
}


def scenario() -> dict[str, Any]:
    models: dict[str, Any] = {}
    for skin in SKINS:
        models[f"{skin}-par"] = {"parallelToolCalls": True}
        # paced, so the events before the break reach the router before the disconnect does
        models[f"{skin}-cut"] = {
            "midStream": {"afterEvents": 6, "mode": "disconnect"},
            "eventDelayMs": 10,
        }
        models[f"{skin}-err"] = {
            "midStream": {"afterEvents": 6, "mode": "error"},
            "eventDelayMs": 10,
        }
        models[f"{skin}-down"] = {"failure": {"kind": "server"}}
    return {"defaults": {"apiKey": PROVIDER_KEY, "reply": REPLY}, "models": models}


@dataclass
class Stack:
    mock: Mock
    router: Router

    def upstream(self, model: str) -> list[dict[str, Any]]:
        return self.mock.requests(model)

    def row_count(self, group: str) -> int:
        return sum(1 for r in self.router.usage_rows() if r["group"] == group)

    def rows(self, group: str, before: int, count: int = 1) -> list[dict[str, Any]]:
        """The `count` usage rows written after `before` (a row lands just after its reply)."""
        deadline = time.monotonic() + 10
        while True:
            rows = [r for r in self.router.usage_rows() if r["group"] == group]
            if len(rows) >= before + count:
                return rows[before : before + count]
            assert time.monotonic() < deadline, f"no usage row for {group}"
            time.sleep(0.02)


@contextlib.contextmanager
def run_stack(tmp: Path, mock: Mock, settings: RouterSettings | None = None) -> Iterator[Stack]:
    providers, runs, groups = [], [], []
    for skin, dialect in SKINS.items():
        auth = "x-api-key" if dialect is Dialect.ANTHROPIC else "bearer"
        p = provider(
            skin,
            mock.url + "/v1",
            dialect,
            models={ref: f"{skin}-{ref}" for ref in REFS},
            bridges=BRIDGES[skin],
            auth=auth,
        )
        providers.append(p)
        control = "anthropic-budget" if dialect is Dialect.ANTHROPIC else "openai-effort"
        runs += [evidence(p, ref, reasoning=control) for ref in REFS]
        sessions = STATEFUL if skin == "resp" else {}
        groups += [
            G(f"{skin}-{ref}", [T(skin, ref)], restricted=True, max_attempts=1, sessions=sessions)
            for ref in REFS
        ]
    # a native Chat target whose reasoning was proven through OpenRouter's control
    orouter = provider("orouter", mock.url + "/v1", Dialect.OPENAI_CHAT, models={"m": "chat-m"})
    providers.append(orouter)
    runs.append(evidence(orouter, "m", reasoning="openrouter-effort"))
    groups.append(G("orouter-m", [T("orouter", "m")], restricted=True, max_attempts=1))
    for name, sessions in EXTRA_GROUPS.items():
        groups.append(G(name, [T("resp", "m")], restricted=True, max_attempts=1, sessions=sessions))
    config = build(providers, groups, runs, settings)
    secrets = provider_keys(*SKINS, "orouter")
    for g in groups:
        secrets[f"{g.name}-callers"] = {"c": CALLER, "d": OTHER_CALLER}
    with run_router(tmp, config, secrets) as router:
        yield Stack(mock, router)
