"""`switchyard mock-upstream`: the deterministic fake provider on a local port."""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from .scenario import Scenario, ScenarioError, load_scenario
from .server import create_app


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8090, help="port to listen on")
    parser.add_argument("--scenario", help="YAML or JSON scenario file (default: every model OK)")


def run(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    except (OSError, ScenarioError) as exc:
        print(f"switchyard mock-upstream: {exc}", file=sys.stderr)
        return 2
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    web.run_app(create_app(scenario), host=args.host, port=args.port, access_log=None, print=None)
    return 0
