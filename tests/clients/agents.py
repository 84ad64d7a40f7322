"""How each agent CLI is pointed at a Switchyard group, the documented way, in a clean HOME.

Every switch that would send traffic off the machine is off (docs/clients.md lists them with
the reason); everything else is the client's default. On top of that, each CLI runs with
HTTP(S)_PROXY set to a loopback sink (tests/clients/sink.py) and under strace: a request meant
for another host is recorded by the sink instead of leaving, and any socket connect to a
non-loopback address is a test failure.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .pins import CLAUDE, CODEX, OPENCODE, Pin

TIMEOUT_S = 240
LOOPBACK = ("127.", "::1", "::ffff:127.")
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    off_machine: list[str]  # non-loopback connect() targets strace saw

    def explain(self) -> str:
        return f"exit {self.returncode}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"


@dataclass(frozen=True)
class Agent:
    name: str
    pin: Pin
    skin: str  # the router path it calls: chat | responses | messages

    def setup(self, home: Path, base: str, group: str, key: str, sink: str) -> dict[str, str]:
        """Write the client's config under `home`; return its extra environment."""
        raise NotImplementedError

    def argv(self, group: str, prompt: str) -> list[str]:
        raise NotImplementedError

    def run(self, work: Path, base: str, group: str, key: str, prompt: str, sink: str) -> Run:
        """Run the CLI once, non-interactively, in a fresh HOME and project directory."""
        home = work / "home"
        project = work / "project"
        home.mkdir(parents=True)
        project.mkdir(parents=True)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
            "CI": "true",
            **{k: sink for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
            **{k: sink for k in ("ALL_PROXY", "all_proxy")},
            **{k: "127.0.0.1,localhost" for k in ("NO_PROXY", "no_proxy")},
            **self.setup(home, base, group, key, sink),
        }
        trace = work / "connect.strace"
        strace = shutil.which("strace")
        if strace is None:
            raise AssertionError("strace is not installed (.ci/run installs it)")
        argv = [strace, "-f", "-qq", "-e", "trace=connect", "-o", str(trace)]
        argv += [str(self.pin.path), *self.argv(group, prompt)]
        done = subprocess.run(
            argv, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip
        return Run(done.returncode, done.stdout, done.stderr, off_machine(trace))


def off_machine(trace: Path) -> list[str]:
    """Every IPv4/IPv6 connect() target in an strace log that is not a loopback address."""
    out: list[str] = []
    for line in trace.read_text(errors="replace").splitlines():
        if "connect(" not in line:
            continue
        for v4, v6 in _ADDRESS.findall(line):
            address = v4 or v6
            if address and not address.startswith(LOOPBACK):
                out.append(line.split("connect(", 1)[1][:160])
    return out


class Codex(Agent):
    """`codex exec` with a `model_providers` entry (wire_api = "responses")."""

    def setup(self, home: Path, base: str, group: str, key: str, sink: str) -> dict[str, str]:
        codex_home = home / ".codex"
        codex_home.mkdir()
        (codex_home / "config.toml").write_text(
            f"""model = "{group}"
model_provider = "switchyard"
# off-machine traffic off: update checks, hosted web search, analytics, feedback uploads,
# the plugin marketplace (git clone from github.com) and ChatGPT apps
check_for_update_on_startup = false
web_search = "disabled"

[features]
plugins = false
remote_plugin = false
apps = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"

[model_providers.switchyard]
name = "Switchyard"
base_url = "{base}/v1"
env_key = "SWITCHYARD_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
"""
        )
        return {"CODEX_HOME": str(codex_home), "SWITCHYARD_API_KEY": key}

    def argv(self, group: str, prompt: str) -> list[str]:
        return ["exec", "--skip-git-repo-check", "--color", "never", prompt]


class ClaudeCode(Agent):
    """`claude -p` with ANTHROPIC_BASE_URL and an API key."""

    def setup(self, home: Path, base: str, group: str, key: str, sink: str) -> dict[str, str]:
        return {
            "ANTHROPIC_BASE_URL": base,
            "ANTHROPIC_API_KEY": key,
            # autoupdater, telemetry, error reporting and /bug off (all non-essential traffic)
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
        }

    def argv(self, group: str, prompt: str) -> list[str]:
        # -p denies tools that need a permission prompt; allow exactly the harmless echo
        return ["-p", prompt, "--model", group, "--allowedTools", "Bash(echo:*)"]


class OpenCode(Agent):
    """`opencode run` with an openai-compatible provider in ~/.config/opencode/opencode.json."""

    def setup(self, home: Path, base: str, group: str, key: str, sink: str) -> dict[str, str]:
        # opencode 1.18 installs @opencode-ai/plugin into every config directory in the
        # background, with no switch to turn it off: its npm registry is the loopback sink
        (home / ".npmrc").write_text(f"registry={sink}/\n")
        config = home / ".config" / "opencode"
        config.mkdir(parents=True)
        data = {
            "$schema": "https://opencode.ai/config.json",
            "autoupdate": False,
            "share": "disabled",
            "model": f"switchyard/{group}",
            "provider": {
                "switchyard": {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "Switchyard",
                    "options": {"baseURL": f"{base}/v1", "apiKey": key},
                    "models": {group: {"name": group}},
                }
            },
        }
        (config / "opencode.json").write_text(json.dumps(data, indent=2))
        return {
            # models.dev catalogue, self-update and LSP downloads off
            "OPENCODE_DISABLE_MODELS_FETCH": "1",
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
            "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
            "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
        }

    def argv(self, group: str, prompt: str) -> list[str]:
        # --pure: no external plugins (otherwise it installs plugin packages from npm)
        return ["run", "--pure", "-m", f"switchyard/{group}", prompt]


CODEX_AGENT = Codex("codex", CODEX, "responses")
CLAUDE_AGENT = ClaudeCode("claude-code", CLAUDE, "messages")
OPENCODE_AGENT = OpenCode("opencode", OPENCODE, "chat")
AGENTS = {a.name: a for a in (CODEX_AGENT, CLAUDE_AGENT, OPENCODE_AGENT)}
