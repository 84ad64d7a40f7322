"""`switchyard render -f PATH [-f PATH ...] [-o FILE]`: manifests -> RouterConfig JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from switchyard.catalog import CatalogError, DefaultAccess, RouterSettings, parse
from switchyard.render import RenderOptions, render

SUFFIXES = (".yaml", ".yml", ".json")


def load_documents(paths: Iterable[Path]) -> list[Any]:
    """Every YAML document in the given files and (recursively) folders, in a stable order."""
    docs: list[Any] = []
    for path in paths:
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES) if path.is_dir() else [path]
        )
        for file in files:
            try:
                docs.extend(yaml.safe_load_all(file.read_text()))
            except FileNotFoundError:
                raise CatalogError([f"{file}: no such file"]) from None
            except yaml.YAMLError as exc:
                raise CatalogError([f"{file}: not valid YAML: {exc}"]) from None
    return docs


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


def run(args: argparse.Namespace) -> int:
    try:
        catalog = parse(load_documents(args.paths))
        settings = RouterSettings(
            default_access=DefaultAccess(args.default_access),
            default_caller_secret=args.default_caller_secret,
        )
        config = render(
            catalog.providers,
            catalog.groups,
            catalog.smoke_runs,
            RenderOptions(namespace=args.namespace, settings=settings),
        )
    except CatalogError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    text = config.to_json()
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0
