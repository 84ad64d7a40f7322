"""The agent CLIs of the client tier, pinned. Renovate deliberately: bump a version here, run
`python3 -m tests.clients.install` and the tier; a cell a new version breaks is a finding
(fix the router or write down why), never a skip.

Each version installs into a prefix of its own under ~/.cache/switchyard/npm/, so several
versions coexist and CI reuses what an earlier run installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pin:
    package: str  # npm package name
    version: str
    binary: str  # the command the package installs

    @property
    def prefix(self) -> Path:
        root = Path(os.environ.get("SWITCHYARD_NPM_CACHE", "~/.cache/switchyard/npm")).expanduser()
        return root / f"{self.package.replace('/', '+')}@{self.version}"

    @property
    def path(self) -> Path:
        return self.prefix / "node_modules" / ".bin" / self.binary


CODEX = Pin("@openai/codex", "0.171.0", "codex")
CLAUDE = Pin("@anthropic-ai/claude-code", "2.1.332", "claude")
OPENCODE = Pin("opencode-ai", "1.18.33", "opencode")
PINS = (CODEX, CLAUDE, OPENCODE)
