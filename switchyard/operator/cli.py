"""`switchyard operator`: run the kopf operator for some namespaces or all of them."""

from __future__ import annotations

import argparse
import asyncio
import logging

import kopf

from . import handlers, startup
from .settings import OperatorSettings


def configure(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--namespace",
        "-n",
        action="append",
        default=[],
        metavar="NS",
        help="namespace to watch (repeatable)",
    )
    where.add_argument("--all-namespaces", "-A", action="store_true", help="watch every namespace")
    parser.add_argument("--metrics-port", type=int, help="Prometheus port (0 disables)")
    parser.add_argument("--verbose", action="store_true", help="debug logging")


def build(settings: OperatorSettings) -> kopf.OperatorRegistry:
    """The registry of every handler; `kopf.operator(registry=...)` runs it (tests do too)."""
    registry = kopf.OperatorRegistry()
    startup.register(registry)
    handlers.register(registry, settings)
    return registry


async def operate(settings: OperatorSettings, stop_flag: asyncio.Event | None = None) -> None:
    """Run until stopped; `stop_flag` lets a test end it in-process."""
    await kopf.operator(
        registry=build(settings),
        memo=kopf.Memo(settings=settings),
        namespaces=settings.namespaces,
        clusterwide=settings.all_namespaces,
        standalone=True,
        stop_flag=stop_flag,
        # kopf serves the probe handlers here (startup.healthy): 200 only once startup is done.
        liveness_endpoint=(
            f"http://0.0.0.0:{settings.health_port}/healthz" if settings.health_port else None
        ),
    )


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.namespace:
        overrides["namespaces"] = args.namespace
    if args.all_namespaces:
        overrides["all_namespaces"] = True
    if args.metrics_port is not None:
        overrides["metrics_port"] = args.metrics_port
    settings = OperatorSettings(**overrides)  # type: ignore[arg-type]
    if not settings.namespaces and not settings.all_namespaces:
        print("switchyard operator: give --namespace NS (repeatable) or --all-namespaces")
        return 2
    kopf.configure(verbose=args.verbose)
    # kopf's /healthz server logs every request; the kubelet probes it every few seconds.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(operate(settings))
    return 0
