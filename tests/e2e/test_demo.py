"""The README's demo runs end to end: probe -> evidence -> render -> route, and refuses the unproven."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_routes_the_proven_and_refuses_the_unproven() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "e2e" / "demo.py")], capture_output=True,
                         text=True, timeout=180, check=False)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "text=pass" in out.stdout
    assert "4. routed: 'OK'" in out.stdout
    assert "not proven on native:openai-chat: imageInput" in out.stdout
    assert '"selected_upstream":"demo/m"' in out.stdout
    assert "demo-upstream-key" not in out.stdout + out.stderr  # the key never shows
