"""Hostile manifests for `switchyard render`: each is refused with exit 1 and one `error:` line
naming the file (and object and field where there is one); never a traceback, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = b"""apiVersion: switchyard.dev/v1alpha1
kind: Provider
metadata: {name: p, namespace: t}
spec:
  baseUrl: http://127.0.0.1:9/v1
  dialect: openai-chat
  auth: {scheme: none}
  models: [{name: m, model: up/m}]
"""
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)

METADATA_STRING = GOOD.replace(b"metadata: {name: p, namespace: t}", b"metadata: hello")
CASES: dict[str, tuple[bytes, str]] = {
    "invalid-utf8": (GOOD.replace(b"name: p,", b"name: \xff\xfe,"), "not UTF-8 text"),
    "latin1": ("metadata: {name: caf\u00e9}\n".encode("latin-1"), "not UTF-8 text"),
    "binary": (bytes(range(256)) * 8, "binary file"),
    "control-char": (b"kind: Provider\nx: \x01\n", "not YAML text"),
    "deep-flow": (b"[" * 100_000 + b"]" * 100_000, "nesting deeper than 64"),
    "deep-block": (b"".join(b"  " * i + b"a:\n" for i in range(3000)), "nesting deeper than 64"),
    "billion-laughs": (LAUGHS.encode(), "once aliases are expanded"),
    "syntax": (b"kind: Provider\nspec: {a: [}\n", "not valid YAML"),
    "bad-timestamp": (b"kind: Provider\nat: 2024-13-45\n", "not valid YAML"),
    "bad-tag": (b"kind: !!python/object:os.system x\n", "not valid YAML"),
    "unhashable-key": (b"{[1]: 2}\n", "not valid YAML"),
    "undefined-alias": (b"kind: *nope\n", "not valid YAML"),
    "scalar-document": (b"just a string\n", "a document is a str, not a mapping"),
    "list-document": (b"- 1\n- 2\n", "a document is a list, not a mapping"),
    "kind-number": (b"kind: 5\n", "kind: expected a string, got int"),
    "kind-null": (b"kind: null\n", "kind: expected a string, got null"),
    "kind-list": (b"kind: [Provider]\n", "kind: expected a string, got list"),
    "items-number": (b"apiVersion: v1\nkind: List\nitems: 5\n", "items: expected a list, got int"),
    "items-of-scalars": (b"kind: List\nitems: [1]\n", "a document is a int, not a mapping"),
    "metadata-string": (METADATA_STRING, "metadata: Input should be a valid dictionary"),
    "spec-number": (GOOD.split(b"spec:")[0] + b"spec: 5\n", "spec: Input should be a valid"),
    "name-number": (GOOD.replace(b"name: p,", b"name: 5,"), "metadata.name: Input should be"),
    "api-version-list": (GOOD.replace(b"switchyard.dev/v1alpha1", b"[1]"), "apiVersion: expected"),
}


def render(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "render", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_manifest_is_refused_in_one_line(tmp_path: Path, case: str) -> None:
    data, expected = CASES[case]
    manifest = tmp_path / f"{case}.yaml"
    manifest.write_bytes(data)
    out = tmp_path / "out.json"
    result = render("-f", str(manifest), "-o", str(out))
    assert result.returncode == 1, (result.stdout[:300], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {manifest}") and expected in lines[0], lines[0]
    assert len(lines[0]) < 600
    assert not out.exists()


def test_the_size_limit_is_a_documented_option(tmp_path: Path) -> None:
    manifest = tmp_path / "big.yaml"
    manifest.write_bytes(GOOD + b"# " + b"x" * 5000 + b"\n")
    result = render("-f", str(manifest), "--max-file-bytes", "4096")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {manifest}: larger than the 4096-byte limit")
    assert render("-f", str(manifest)).returncode == 0  # the default (16 MiB) takes it
    assert render("-f", str(manifest), "--max-file-bytes", "nan").returncode == 2


def test_an_endless_file_is_cut_at_the_limit() -> None:
    result = render("-f", "/dev/zero", "--max-file-bytes", "1048576")
    assert result.returncode == 1 and "larger than the 1048576-byte limit" in result.stderr


def test_unreadable_and_missing_paths(tmp_path: Path) -> None:
    result = render("-f", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1 and "no such file" in result.stderr
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "bad.yaml").write_bytes(b"kind: 5\n")
    (folder / "values.yaml").write_bytes(b"replicas: 2\n")  # no kind: not an object, skipped
    result = render("-f", str(folder))
    assert result.returncode == 1 and "bad.yaml#1: kind: expected a string" in result.stderr


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    manifest = tmp_path / "ok.yaml"
    manifest.write_bytes(GOOD)
    result = render("-f", str(manifest), "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert result.returncode == 1 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    manifest = tmp_path / "two.yaml"
    second = GOOD.replace(b"name: p,", b"name: q,").replace(b"openai-chat", b"nope")
    manifest.write_bytes(GOOD.replace(b"http://", b"file://") + b"---\n" + second)
    result = render("-f", str(manifest))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any("two.yaml#1: Provider/t/p: spec.baseUrl" in line for line in lines), lines
    assert any("two.yaml#2: Provider/t/q: spec.dialect" in line for line in lines), lines
