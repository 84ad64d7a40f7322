"""A small Go program of the repository, built once per source digest into the user's cache.

Used by the test folders that check against upstream Go code (tests/argocd, tests/prometheus)
and by the bench (bench/loadgen). Outputs live in ``~/.cache/switchyard/<name>/<digest>/``
(``$XDG_CACHE_HOME`` respected), never in the work tree.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "switchyard"


def go_binary(source: Path, name: str, readonly: bool = True) -> Path:
    """The binary built from ``source`` (a Go module directory), building it when missing;
    ``name`` is its folder under the cache (its last part names the binary).

    ``readonly``: build with ``-mod=readonly`` (a module with a go.sum)."""
    digest = hashlib.sha256()
    for file in ("go.mod", "go.sum", "main.go"):
        if (source / file).exists():
            digest.update((source / file).read_bytes())
    out = cache_root() / name / digest.hexdigest()[:16] / Path(name).name
    if out.exists():
        return out
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        raise AssertionError(f"the `go` command is needed to build {source.name} (.ci/run)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".partial")
    flags = ["-mod=readonly"] if readonly else []
    proc = subprocess.run(
        [go, "build", *flags, "-trimpath", "-o", str(tmp), "."],
        cwd=source, capture_output=True, text=True, timeout=1800, check=False,
        env={**os.environ, "CGO_ENABLED": "0"},
    )  # fmt: skip
    if proc.returncode != 0:
        raise AssertionError(f"go build {source} failed:\n{proc.stderr[-4000:]}")
    tmp.rename(out)
    return out
