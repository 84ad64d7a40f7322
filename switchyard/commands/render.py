"""`switchyard render -f PATH [-f PATH ...] [-o FILE]`: manifests -> RouterConfig JSON.

Exit codes: 0 rendered; 1 the input was refused (every problem on its own `error:` line naming
file, object and field; nothing is written); 2 bad command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from switchyard.catalog import CatalogError, DefaultAccess, RouterSettings, SessionBackend, parse
from switchyard.catalog.manifests import Sourced
from switchyard.catalog.yamltext import YamlLimits
from switchyard.catalog.yamltext import load_documents as load_yaml
from switchyard.render import RenderOptions, render

SUFFIXES = (".yaml", ".yml", ".json")
EXIT_REFUSED = 1
EXIT_USAGE = 2


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return [path]


def _read(file: Path, limit: int) -> bytes:
    """At most limit + 1 bytes: a huge file, a FIFO or /dev/zero never fills memory."""
    try:
        with file.open("rb") as f:
            return f.read(limit + 1)
    except FileNotFoundError:
        raise CatalogError([f"{file}: no such file"]) from None
    except OSError as exc:
        raise CatalogError(
            [f"{file}: cannot read ({exc.strerror or type(exc).__name__})"]
        ) from None


def load_documents(paths: Iterable[Path], limits: YamlLimits | None = None) -> list[Sourced]:
    """Every YAML document in the given files and (recursively) folders, in a stable order."""
    limits = limits or YamlLimits()
    docs: list[Sourced] = []
    for path in paths:
        for file in _files(path):
            docs.extend(load_yaml(_read(file, limits.max_bytes), str(file), limits))
    return docs


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of bytes, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f",
        "--filename",
        dest="paths",
        type=Path,
        action="append",
        required=True,
        help="manifest file or folder (repeatable)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    parser.add_argument("-n", "--namespace", help="render only this namespace's objects")
    parser.add_argument(
        "--default-access",
        choices=[a.value for a in DefaultAccess],
        default=DefaultAccess.OPEN.value,
        help="caller policy for groups that are not restricted (default: open)",
    )
    parser.add_argument(
        "--default-caller-secret",
        help="Secret of accepted caller tokens when --default-access=callers",
    )
    parser.add_argument(
        "--session-backend",
        choices=[b.value for b in SessionBackend],
        default=SessionBackend.MEMORY.value,
        help="where routers keep session state (default: memory)",
    )
    parser.add_argument("--redis-url", help="redis:// URL for --session-backend redis")
    parser.add_argument(
        "--replicas",
        type=_positive,
        default=1,
        help="router replicas that will serve the config: stateful sessions on more than one "
        "need --session-backend redis (default 1)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="router processes per replica (`switchyard router --workers`); each keeps its own "
        "memory sessions like a replica (default 1)",
    )
    parser.add_argument(
        "--max-file-bytes",
        type=_positive,
        default=YamlLimits.max_bytes,
        help=f"refuse larger manifest files (default {YamlLimits.max_bytes}, 16 MiB)",
    )


def _write(path: Path, text: str) -> None:
    """All or nothing: written aside, then renamed over the target."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if path.exists() and not path.is_file():  # /dev/stdout, a FIFO: write through
            with path.open("w", encoding="utf-8") as out:
                out.write(text)
            return
        aside.write_text(text, encoding="utf-8")
        os.replace(aside, path)
    except OSError as exc:
        aside.unlink(missing_ok=True)
        raise CatalogError(
            [f"{path}: cannot write ({exc.strerror or type(exc).__name__})"]
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.session_backend == SessionBackend.REDIS.value and not args.redis_url:
        print("error: --session-backend redis needs --redis-url", file=sys.stderr)
        return EXIT_USAGE
    try:
        limits = YamlLimits(max_bytes=args.max_file_bytes)
        catalog = parse(load_documents(args.paths, limits))
        settings = RouterSettings(
            default_access=DefaultAccess(args.default_access),
            default_caller_secret=args.default_caller_secret,
            session_backend=SessionBackend(args.session_backend),
            redis_url=args.redis_url,
        )
        config = render(
            catalog.providers,
            catalog.groups,
            catalog.smoke_runs,
            RenderOptions(
                namespace=args.namespace,
                settings=settings,
                replicas=args.replicas,
                workers=args.workers,
            ),
        )
        text = config.to_json()
        if args.output:
            _write(args.output, text)
        else:
            sys.stdout.write(text)
    except CatalogError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    return 0
