"""`switchyard probe` refuses bad arguments with exit 2 and one line, before sending anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--timeout", "nan"], "--timeout: must be a finite number"),
        (["--timeout", "inf"], "--timeout: must be a finite number"),
        (["--timeout", "-1"], "--timeout: must be a finite number"),
        (["--timeout", "0"], "--timeout: must be a finite number"),
        (["--timeout", "1e308"], "--timeout: must be a finite number"),
        (["--timeout", "soon"], "--timeout: expected a number of seconds"),
        (["--budget", "-5"], "--budget: at least 16 tokens"),
        (["--tool-count", "-1"], "tool_count: out of range"),
        (["--target-bytes", "99999999999"], "target_bytes: out of range"),
        (["--base-url", "http://0xA9FEA9FE/v1"], "--base-url: 169.254.169.254 is a link-local"),
        (
            ["--base-url", "http://u:p@127.0.0.1:9/v1"],
            "--base-url: must not carry user information",
        ),
        (["--router", "http://127.0.0.1:9", "--group", "../x"], "--group: a group name"),
    ],
)
def test_bad_arguments_exit_2_in_one_line(args: list[str], expected: str) -> None:
    base = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    if "--base-url" in args or "--router" in args:
        base = ["--model", "m"] if "--base-url" in args else []
    result = subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "probe", *base, *args],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("switchyard probe: ") and expected in last, last
