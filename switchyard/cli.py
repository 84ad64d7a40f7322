"""The `switchyard` command: a thin dispatcher over per-command modules.

Each command module exposes `configure(parser)` and `run(args) -> int`, and is imported only
when its command runs, so `switchyard crds` never pays for aiohttp or kopf.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "crds": ("switchyard.commands.crds", "write the CRDs generated from the catalog models"),
    "render": ("switchyard.commands.render", "render manifests into a RouterConfig"),
    "config-schema": ("switchyard.commands.config_schema", "print the RouterConfig JSON Schema"),
    "router": ("switchyard.router.cli", "run the router"),
    "mock-upstream": ("switchyard.testing.cli", "run the fake upstream provider"),
    "probe": ("switchyard.smoke.cli", "run capability probes and print evidence"),
    "operator": ("switchyard.operator.cli", "run the kopf operator"),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="switchyard", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not args or args[0] not in COMMANDS:
        parser.parse_args(args or ["--help"])
        return 2
    name = args[0]
    module_name, help_text = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"switchyard {name}: not available in this build", file=sys.stderr)
            return 2
        raise
    command = argparse.ArgumentParser(prog=f"switchyard {name}", description=help_text)
    module.configure(command)
    code: int = module.run(command.parse_args(args[1:]))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
