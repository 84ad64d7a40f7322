"""The fake upstream's scenario: per-model behaviours, validated before anything is served.

A scenario is YAML or JSON. Keys may be camelCase or snake_case; unknown keys are errors::

    defaults:                 # applies to every model (all fields optional)
      reply: OK
    strictModels: false       # true: models not listed answer 404 model-not-found
    models:
      good-model: {}          # the defaults
      no-tools: {tools: false, unsupported: reject}
      capless: {honorsMaxTokens: false}
      thinker: {emptyUnderCap: 16}
      flaky: {failure: {kind: server, times: 2}}
      limited: {failure: {kind: rate_limit, retryAfter: 3}}
      broken-stream: {midStream: {afterEvents: 3, mode: disconnect}}
      slow: {latencyMs: 200, eventDelayMs: 10}
      keyed: {apiKey: sk-test}
      gateway: {apiKey: sk-test, keyHeader: x-api-key, requiredHeaders: {User-Agent: acme/2}}
      chat-only: {dialects: [openai-chat]}
      small-context: {maxRequestBytes: 65536}
      agent:                  # an agent's tool round trip: turn N plays step N
        script:
        - call: {tool: exec_command, arguments: {cmd: "echo hi"}}
        - reply: "It printed {result}"   # {result}: the last tool result's text

A listed model overrides only the fields it sets; the rest come from `defaults`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from switchyard.catalog import Dialect, SwitchyardError

from .cloud import CloudScenario

FailureKind = Literal[
    "auth", "entitlement", "forbidden", "not_found", "rate_limit", "server", "overloaded",
    "bad_request",
]  # fmt: skip

FAILURE_STATUS: dict[str, int] = {
    "auth": 401,
    "entitlement": 403,
    "forbidden": 403,
    "not_found": 404,
    "rate_limit": 429,
    "server": 500,
    "overloaded": 503,
    "bad_request": 400,
}


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Failure(_Model):
    """An HTTP error answered instead of a completion."""

    kind: FailureKind = Field(description="Which error shape to answer with.")
    status: int | None = Field(default=None, ge=400, le=599, description="Override the status.")
    retry_after: int | None = Field(default=None, ge=0, description="Retry-After seconds.")
    times: int | None = Field(
        default=None, ge=1, description="Fail only the first N requests to the model; None: all."
    )

    @property
    def http_status(self) -> int:
        return self.status or FAILURE_STATUS[self.kind]


class MidStream(_Model):
    """Break a stream after N SSE events: drop the connection or send an error event."""

    after_events: int = Field(ge=0, description="Events sent before the failure.")
    # malformed: an event whose JSON is cut off, then the end of the stream
    mode: Literal["disconnect", "error", "malformed"] = "disconnect"
    times: int | None = Field(default=None, ge=1, description="Only the first N streams.")


class ToolStep(_Model):
    """Call one of the tools the request offers, with these arguments."""

    tool: str = Field(description="The tool's name as the request offers it.")
    arguments: dict[str, Any] = Field(default_factory=dict)


class Step(_Model):
    """One scripted turn: call a tool, or answer with text. In `reply`, `{result}` stands for
    the text of the last tool result the request carries (an agent's round trip)."""

    call: ToolStep | None = None
    reply: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Step:
        if (self.call is None) == (self.reply is None):
            raise ValueError("a step has exactly one of call or reply")
        return self


class Behaviour(_Model):
    """How one served model behaves. Every field has a default (a capable, fast model)."""

    reply: str = "OK"
    image_reply: str = Field(default="Rite Aid", description="Reply when an image part is sent.")
    tools: bool = True
    parallel_tool_calls: bool = Field(
        default=False,
        description="Call every offered tool at once (unless the request disables parallel calls).",
    )
    tool_choice: bool = Field(default=True, description="Honours a forced tool_choice.")
    structured_outputs: bool = True
    images: bool = True
    audio: bool = Field(default=True, description="Accepts audio parts (off: 400, always).")
    files: bool = Field(default=True, description="Accepts file/document parts (off: 400).")
    video: bool = Field(default=True, description="Accepts video parts (off: 400, always).")
    reasoning: bool = True
    streaming: bool = True
    usage: bool = True
    malformed_reply: Literal["truncated", "array", "wrong-types"] | None = Field(
        default=None,
        description="Answer 200 with a broken JSON reply: cut in half, a JSON array, or the "
        "dialect's reply list (choices / output / content) as a number.",
    )
    hosted_tools: list[str] = Field(
        default_factory=list,
        description="Provider-hosted tools the model runs (Responses, e.g. web_search); a "
        "request offering another one gets 400, as from a provider without it.",
    )
    cached_tokens: int = Field(
        default=0, ge=0, description="Prompt tokens reported as read from the prompt cache."
    )
    honors_max_tokens: bool = True
    empty_under_cap: int = Field(
        default=0, ge=0, description="A cap at or below this gives 200 with empty content."
    )
    unsupported: Literal["ignore", "reject"] = Field(
        default="ignore",
        description="A request using a capability that is off: ignore it, or answer 400.",
    )
    dialects: list[Dialect] | None = Field(
        default=None, description="Skins that serve this model (others: 404). None: all."
    )
    latency_ms: int = Field(default=0, ge=0, description="Delay before the response starts.")
    event_delay_ms: int = Field(default=0, ge=0, description="Delay between stream events.")
    failure: Failure | None = None
    mid_stream: MidStream | None = None
    script: list[Step] | None = Field(
        default=None,
        description="A scripted conversation: turn N (N = tool results the request carries) "
        "plays step N, the last step repeats; a call step whose tool is not offered answers "
        "`reply` instead.",
    )
    api_key: str | None = Field(default=None, description="Required key; None: any key.")
    key_header: Literal["authorization", "x-api-key", "x-goog-api-key"] | None = Field(
        default=None,
        description="Where the key must arrive (authorization: a Bearer token); None: the "
        "dialect's reference scheme (x-api-key on Messages, x-goog-api-key on google, Bearer "
        "otherwise).",
    )
    required_headers: dict[str, str] = Field(
        default_factory=dict,
        description="Headers that must arrive with exactly these values (names case-"
        "insensitive), as a provider behind a gateway or WAF demands; otherwise 403.",
    )
    max_request_bytes: int | None = Field(
        default=None, ge=1, description="Bodies larger than this get 413; None: no limit."
    )


class Scenario(_Model):
    defaults: Behaviour = Field(default_factory=Behaviour)
    strict_models: bool = False
    models: dict[str, Behaviour] = Field(default_factory=dict)
    cloud: CloudScenario = Field(
        default_factory=CloudScenario,
        description="Bedrock's region and access keys, Vertex AI's project, region and "
        "trusted service accounts (see switchyard.testing.cloud).",
    )

    def behaviour(self, model: str) -> Behaviour | None:
        """The merged behaviour of `model`, or None when strict and not listed."""
        own = self.models.get(model)
        if own is None:
            return None if self.strict_models else self.defaults
        merged = self.defaults.model_dump()
        merged.update(own.model_dump(include=own.model_fields_set))
        return Behaviour.model_validate(merged)


class ScenarioError(SwitchyardError, ValueError):
    """A scenario that does not validate; the message names the field paths."""


def parse_scenario(data: Any) -> Scenario:
    try:
        return Scenario.model_validate(data or {})
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
        ]
        raise ScenarioError("invalid scenario: " + "; ".join(problems)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML or JSON scenario file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = orjson.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: not valid YAML/JSON ({type(exc).__name__})") from None
    return parse_scenario(data)
