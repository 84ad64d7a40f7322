"""`switchyard probe`: capability probes from a terminal, a smoke Job, or through the router.

Direct layer:  --base-url URL --model ID --dialect D --api-key-env VAR
Router layer:  --router URL --group NAME --caller-token-env VAR [--dialect D]
Matrix:        --dialects a,b[,c] --output-dir DIR (one evidence file per dialect)

Exit codes: 0 evidence written (even with failing rows); 1 --strict-exit and a task's decisive
row did not pass; 2 bad arguments or environment (nothing was sent); 3 the evidence could not
be written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from switchyard.catalog import (
    DEFAULT_TASKS,
    AuthScheme,
    Dialect,
    LargePayload,
    Layer,
    Platform,
    ProbeTask,
    ReasoningControl,
    SwitchyardError,
)
from switchyard.catalog.addresses import base_url_problem, group_name_problem

from .compact import CompactTooLargeError, encode_compact
from .image import SUPPORTED as IMAGE_GLYPHS
from .report import Naming, dns_name, report_document, smokerun_document, summary
from .runner import DialectReport, ProbeReport, ProbeTarget, run_probes
from .tasks import TASKS, ProbeOptions

OUTPUTS = ("yaml", "json", "smokerun", "compact")
SUFFIX = {"yaml": "yaml", "json": "json", "smokerun": "yaml", "compact": "txt"}


class UsageError(SwitchyardError, ValueError):
    """Bad arguments or environment: reported before any request is sent."""


def _csv(kind: type[Dialect] | type[ProbeTask], text: str) -> list[Any]:
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(kind(part))
        except ValueError:
            allowed = ", ".join(v.value for v in kind)
            raise argparse.ArgumentTypeError(
                f"unknown value {part!r} (choose from {allowed})"
            ) from None
    if not out:
        raise argparse.ArgumentTypeError("empty list")
    return out


def _dialects(text: str) -> list[Dialect]:
    values: list[Dialect] = _csv(Dialect, text)
    return values


E = TypeVar("E", bound=StrEnum)
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")  # an RFC 9110 token
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_PIN = re.compile(f"{_LABEL}/{_LABEL}")  # provider/model, both catalog names


def _header(text: str) -> tuple[str, str]:
    """'Name: value' -> (name, value); the value is not echoed in errors (it may be private)."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not HEADER_NAME.fullmatch(name):
        raise argparse.ArgumentTypeError("expected 'Name: value' with a token as the name")
    if any(c in value for c in "\r\n\0") or len(value) > 8192:
        raise argparse.ArgumentTypeError(f"header {name}: value must be one line, at most 8 KiB")
    return name, value


def _choice(kind: type[E]) -> Callable[[str], E]:
    """An argparse type for a vocabulary enum, naming every value when the text is none."""

    def parse(text: str) -> E:
        try:
            return kind(text)
        except ValueError:
            choices = ", ".join(v.value for v in kind)
            raise argparse.ArgumentTypeError(f"choose from {choices}") from None

    return parse


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


MAX_TIMEOUT = 3600.0


def _seconds(text: str) -> float:
    """A finite, positive number of seconds (nan, inf and negatives are refused here)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {text!r}"
        )
    return value


# The runbook's matrix names (``--tasks text,tools,image``) for the tasks they mean.
TASK_ALIASES = {"tools": ProbeTask.AUTO_TOOLS.value, "image": ProbeTask.IMAGE_INPUT.value}


def _tasks(text: str) -> list[ProbeTask]:
    names = [TASK_ALIASES.get(p.strip(), p.strip()) for p in text.split(",")]
    values: list[ProbeTask] = list(dict.fromkeys(_csv(ProbeTask, ",".join(names))))
    unsupported = [t.value for t in values if t not in TASKS]
    if unsupported:
        raise argparse.ArgumentTypeError(f"no probe for {', '.join(unsupported)}")
    return values


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (__doc__ or "").split("\n\n")[0]
    direct = parser.add_argument_group("direct layer (an upstream endpoint)")
    direct.add_argument("--base-url", help="upstream base URL, e.g. https://api.example.com/v1")
    direct.add_argument("--model", help="served model id upstream")
    direct.add_argument(
        "--allow-link-local",
        action="store_true",
        help="allow a link-local or cloud-metadata --base-url (as a Provider's allowLinkLocal)",
    )
    direct.add_argument(
        "--api-key-env", metavar="VAR", help="environment variable holding the provider key"
    )
    direct.add_argument(
        "--auth-scheme",
        type=_choice(AuthScheme),
        help="how the key is sent: bearer, x-api-key, x-goog-api-key, aws-sigv4, google-oauth "
        "or none (default: the dialect's own; a Provider's spec.auth.scheme). For aws-sigv4 "
        "and google-oauth --api-key-env names the credentials JSON; without it the "
        "environment's chain is used",
    )
    direct.add_argument(
        "--platform",
        type=_choice(Platform),
        default=Platform.DIRECT,
        help="direct, bedrock or vertex (a Provider's spec.platform): paths, bodies and auth "
        "of that platform",
    )
    direct.add_argument("--region", help="AWS region (bedrock) or Vertex AI location")
    direct.add_argument("--project", help="Google Cloud project (vertex)")
    direct.add_argument(
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="'NAME: VALUE'",
        help="an extra request header, repeatable (a Provider's spec.headers); "
        "sent exactly as the router sends it",
    )
    router = parser.add_argument_group("router layer (a ModelGroup through the router)")
    router.add_argument("--router", metavar="URL", help="router base URL, e.g. http://router:8080")
    router.add_argument("--group", help="ModelGroup name (the request's model)")
    router.add_argument(
        "--pin",
        metavar="PROVIDER/MODEL",
        help="the one target of the group that must serve (the operator's router-level smokes; "
        "the router accepts it with the operator's own token only)",
    )
    router.add_argument(
        "--caller-token-env", metavar="VAR", help="environment variable holding a caller token"
    )
    what = parser.add_argument_group("what to probe")
    what.add_argument(
        "--dialect",
        type=Dialect,
        choices=list(Dialect),
        help="the dialect to speak (default openai-chat)",
    )
    what.add_argument(
        "--dialects",
        type=_dialects,
        help="matrix mode: comma-separated dialects, e.g. openai-chat,anthropic",
    )
    what.add_argument(
        "--tasks",
        type=_tasks,
        default=list(DEFAULT_TASKS),
        help="comma-separated tasks: "
        + ",".join(t.value for t in TASKS)
        + f" (default {','.join(t.value for t in DEFAULT_TASKS)}); the runbook's names "
        + "tools (auto-tools) and image (image-input) are accepted too",
    )
    what.add_argument("--expected-text", default="OK", help="text rows require it (default OK)")
    what.add_argument(
        "--image-text",
        default="Rite Aid",
        help="text drawn into the probe image (default Rite Aid)",
    )
    what.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        help=f"per-request seconds, above 0 and at most {MAX_TIMEOUT:g} (default 60)",
    )
    what.add_argument(
        "--reasoning-control",
        type=_choice(ReasoningControl),
        help="reasoning control to test: "
        + ", ".join(c.value for c in ReasoningControl)
        + " (default: openai-effort, or anthropic-budget on anthropic)",
    )
    what.add_argument(
        "--hosted-tool",
        default="web_search",
        metavar="TYPE",
        help="the provider-hosted tool the hosted-tools task offers (Responses tool type; "
        "default web_search)",
    )
    what.add_argument(
        "--budget", type=int, default=1024, help="realistic output-token budget (default 1024)"
    )
    big = parser.add_argument_group("large-payload task")
    big.add_argument("--target-bytes", type=int, default=524288, help="request size to reach")
    big.add_argument("--tool-count", type=int, default=24, help="function schemas to include")
    big.add_argument("--max-tokens", type=int, default=32, help="output cap of the large request")
    out = parser.add_argument_group("output")
    out.add_argument("--output", choices=OUTPUTS, default="yaml", help="evidence format")
    out.add_argument("--output-file", type=Path, help="write the evidence here instead of stdout")
    out.add_argument("--output-dir", type=Path, help="one evidence file per dialect in DIR")
    out.add_argument(
        "--strict-exit", action="store_true", help="exit 1 unless every task finally passed"
    )
    names = parser.add_argument_group("catalog names (for --output smokerun)")
    names.add_argument("--provider", help="Provider object name (direct layer)")
    names.add_argument("--model-ref", help="model_ref in that Provider (default: from --model)")
    names.add_argument("--name", help="SmokeRun name (default: generated)")
    names.add_argument("--namespace", help="SmokeRun namespace")
    names.add_argument(
        "--provider-generation",
        type=_positive_int,
        help="the Provider generation this evidence is for (kubectl get llmp NAME -o "
        "jsonpath={.metadata.generation}); only evidence of the newest generation counts",
    )


def _secret(var: str | None, flag: str) -> str | None:
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise UsageError(f"{flag}: environment variable {var} is not set or empty")
    return value


def _url(value: str, flag: str, allow_link_local: bool = False) -> str:
    """The same rule as a Provider's baseUrl: the key must never go to cloud metadata."""
    problem = base_url_problem(value, allow_link_local)
    if problem:
        raise UsageError(f"{flag}: {problem}")
    return value.rstrip("/")


def _target(args: argparse.Namespace) -> ProbeTarget:
    if not math.isfinite(args.timeout) or not 0 < args.timeout <= MAX_TIMEOUT:
        raise UsageError(f"--timeout: must be above 0 and at most {MAX_TIMEOUT:g} seconds")
    if args.router and args.base_url:
        raise UsageError("--router and --base-url exclude each other: pick one layer")
    if args.router:
        if not args.group:
            raise UsageError("--router needs --group")
        problem = group_name_problem(args.group)
        if problem:
            raise UsageError(f"--group: {problem}")
        base = _url(args.router, "--router", args.allow_link_local)
        base = base if base.endswith("/v1") else base + "/v1"
        token = _secret(args.caller_token_env, "--caller-token-env")
        if args.pin is not None and not _PIN.fullmatch(args.pin):
            raise UsageError("--pin: give PROVIDER/MODEL (catalog names)")
        return ProbeTarget(base, Layer.ROUTER, args.group, token, args.timeout, pin=args.pin)
    if not args.base_url or not args.model:
        raise UsageError("give --base-url and --model (direct), or --router and --group")
    if args.pin is not None:
        raise UsageError("--pin is for the router layer (--router)")
    key = _secret(args.api_key_env, "--api-key-env")
    if args.platform is not Platform.DIRECT and not args.region:
        raise UsageError(f"--platform {args.platform.value} needs --region")
    if args.platform is Platform.VERTEX and not args.project:
        raise UsageError("--platform vertex needs --project")
    return ProbeTarget(
        _url(args.base_url, "--base-url", args.allow_link_local),
        Layer.DIRECT,
        args.model,
        key,
        args.timeout,
        auth_scheme=args.auth_scheme,
        headers=tuple(args.header),
        platform=args.platform,
        region=args.region,
        project=args.project,
    )


def _options(args: argparse.Namespace) -> ProbeOptions:
    if not set(args.image_text.upper()) <= IMAGE_GLYPHS or not args.image_text.strip():
        raise UsageError("--image-text: use letters, digits, spaces and -.:!? only")
    if not args.expected_text.strip():
        raise UsageError("--expected-text: must not be empty")
    if args.budget < 16:
        raise UsageError("--budget: at least 16 tokens")
    try:
        large = LargePayload(
            target_bytes=args.target_bytes, tool_count=args.tool_count, max_tokens=args.max_tokens
        )
    except ValueError as exc:
        field = str(exc).split("\n")[1].strip() if "\n" in str(exc) else "large payload"
        raise UsageError(f"large payload: {field}: out of range") from None
    return ProbeOptions(
        reasoning_control=args.reasoning_control,
        expected_text=args.expected_text,
        image_text=args.image_text,
        budget=args.budget,
        large_payload=large,
        hosted_tool=args.hosted_tool,
    )


def _naming(args: argparse.Namespace, target: ProbeTarget, started: datetime) -> Naming:
    model_ref = args.model_ref or dns_name(target.model)
    stamp = started.strftime("%Y%m%d%H%M%S")
    who = f"{args.provider}-{model_ref}" if args.provider else model_ref
    name = args.name or dns_name(f"probe-{who[:40]}-{stamp}")
    return Naming(
        run_name=name,
        model_ref=model_ref,
        provider=args.provider,
        namespace=args.namespace,
        tasks=tuple(t.value for t in args.tasks),
        provider_generation=args.provider_generation,
    )


def render_output(
    kind: str, report: ProbeReport, naming: Naming, only: DialectReport | None = None
) -> str:
    if kind == "compact":
        rows = only.rows if only is not None else report.rows
        tokens = only.tokens_spent if only is not None else report.tokens_spent
        return encode_compact(rows, tokens, report.started_at, report.completed_at)
    if kind == "smokerun":
        doc = smokerun_document(report, naming, only)
    else:
        doc = report_document(report, naming, only)
    if kind == "json":
        return json.dumps(doc, indent=2)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _write(text: str, path: Path | None) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        sys.stdout.flush()
        return
    path.write_text(text)


def _emit(args: argparse.Namespace, report: ProbeReport, naming: Naming) -> None:
    if args.output_dir is None:
        _write(render_output(args.output, report, naming), args.output_file)
        return
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for part in report.dialects:
        name = f"{report.target.layer.value}-{part.dialect.value}.{SUFFIX[args.output]}"
        path = args.output_dir / name
        part_naming = naming
        if len(report.dialects) > 1 and args.name is None:
            part_naming = Naming(
                dns_name(f"{naming.run_name[:50]}-{part.dialect.value}"),
                naming.model_ref,
                naming.provider,
                naming.namespace,
                naming.tasks,
            )
        path.write_text(render_output(args.output, report, part_naming, part))
        counts = summary(part.rows)
        line = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        print(f"{part.dialect.value}: {line} -> {path}")


def _preflight(args: argparse.Namespace, target: ProbeTarget) -> list[Dialect]:
    dialects: list[Dialect] = args.dialects or [args.dialect or Dialect.OPENAI_CHAT]
    if args.dialects and args.dialect:
        raise UsageError("--dialect and --dialects exclude each other")
    if len(set(dialects)) != len(dialects):
        raise UsageError("--dialects: a dialect is listed twice")
    if args.output_file and args.output_dir:
        raise UsageError("--output-file and --output-dir exclude each other")
    if (
        args.output == "smokerun"
        and target.layer is Layer.DIRECT
        and args.output_dir is None
        and len(dialects) > 1
    ):
        raise UsageError("--output smokerun with several dialects needs --output-dir")
    if args.output == "smokerun" and target.layer is Layer.DIRECT and not args.provider:
        raise UsageError("--output smokerun on the direct layer needs --provider (and --model-ref)")
    if args.output_dir is not None and args.output_dir.exists() and not args.output_dir.is_dir():
        raise UsageError(f"--output-dir: {args.output_dir} is not a directory")
    return dialects


def run(args: argparse.Namespace) -> int:
    try:
        target = _target(args)
        options = _options(args)
        dialects = _preflight(args, target)
    except UsageError as exc:
        print(f"switchyard probe: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(run_probes(target, dialects, args.tasks, options))
    naming = _naming(args, target, report.started_at)
    try:
        _emit(args, report, naming)
    except (OSError, CompactTooLargeError, ValueError) as exc:
        print(f"switchyard probe: could not write evidence: {exc}", file=sys.stderr)
        return 3
    counts = summary(report.rows)
    print(
        f"switchyard probe: {len(report.rows)} rows ("
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + f"), {report.tokens_spent} tokens spent",
        file=sys.stderr,
    )
    if args.strict_exit and not report.all_passed():
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - convenience
    parser = argparse.ArgumentParser(prog="switchyard probe")
    configure(parser)
    return run(parser.parse_args(argv))


__all__ = ["configure", "main", "render_output", "run"]
