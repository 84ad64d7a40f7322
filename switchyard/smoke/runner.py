"""Running a set of tasks against one endpoint, per dialect, into evidence.

Rows are kept whatever they say: a partial pass is evidence too. Once a dialect shows an
access failure or cannot be reached, its remaining tasks are recorded as `skip` rather than
sending requests that can only fail the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from switchyard.catalog import (
    ACCESS_FAILURES,
    AuthScheme,
    Dialect,
    ErrorClass,
    EvidenceRow,
    Layer,
    Platform,
    ProbeResult,
    ProbeTask,
)
from switchyard.cloud import CloudAuth, cloud_auth
from switchyard.wire import DEFAULT_AUTH, PIN_HEADER, caller_headers, provider_headers

from .client import Ledger, ProbeClient, new_http
from .dialects import ADAPTERS
from .tasks import ORDER, TASKS, ProbeOptions, TaskContext

STOPPERS = ACCESS_FAILURES | {ErrorClass.CONNECT_ERROR.value}


@dataclass(frozen=True)
class ProbeTarget:
    """Where to probe: an upstream base URL (direct) or the router's `/v1` (router layer)."""

    base_url: str
    layer: Layer
    model: str  # the served model id (direct) or the ModelGroup name (router)
    key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    # Direct layer: the Provider's auth scheme (None: the dialect's default) and configured
    # headers, so the probe sends the very headers the router will send (wire.provider_headers).
    auth_scheme: AuthScheme | None = None
    headers: tuple[tuple[str, str], ...] = ()
    # Direct layer on a cloud platform: the same paths, bodies and per-request credentials as
    # the router (wire.platforms, switchyard.cloud); ``key`` then holds the credentials' text
    # (None: the environment's chain).
    platform: Platform = Platform.DIRECT
    region: str | None = None
    project: str | None = None
    # Router layer: the one target (provider/model) that must serve (operator smokes only).
    pin: str | None = None

    def cloud(self) -> CloudAuth | None:
        """Per-request credentials of a cloud scheme (raises CloudAuthError)."""
        if self.layer is Layer.ROUTER or self.auth_scheme is None:
            return None
        return cloud_auth(self.auth_scheme, self.region, self.key)

    def headers_for(self, dialect: Dialect) -> dict[str, str]:
        """Every header of this target's requests in ``dialect`` (keys included: never print)."""
        if self.layer is Layer.ROUTER:
            headers = caller_headers(dialect, self.key)
            return {**headers, PIN_HEADER: self.pin} if self.pin else headers
        scheme = self.auth_scheme or DEFAULT_AUTH[dialect]
        return provider_headers(dialect, scheme, self.key, self.headers)


@dataclass
class DialectReport:
    dialect: Dialect
    rows: list[EvidenceRow] = field(default_factory=list)
    tokens_spent: int = 0
    requests: int = 0


@dataclass
class ProbeReport:
    target: ProbeTarget
    started_at: datetime
    completed_at: datetime
    dialects: list[DialectReport]

    @property
    def rows(self) -> list[EvidenceRow]:
        return [r for d in self.dialects for r in d.rows]

    @property
    def tokens_spent(self) -> int:
        return sum(d.tokens_spent for d in self.dialects)

    def all_passed(self) -> bool:
        """True when every task's decisive (last) row passed."""
        last: dict[tuple[Dialect, ProbeTask], ProbeResult] = {}
        for row in self.rows:
            last[(row.dialect, row.task)] = row.result
        return bool(last) and all(r is ProbeResult.PASS for r in last.values())


def ordered(tasks: Sequence[ProbeTask]) -> list[ProbeTask]:
    wanted = set(tasks)
    unknown = wanted - set(TASKS)
    if unknown:
        raise ValueError(f"no probe for task(s): {', '.join(sorted(t.value for t in unknown))}")
    return [t for t in ORDER if t in wanted]


def _stopper(rows: Sequence[EvidenceRow]) -> ErrorClass | None:
    for row in rows:
        if row.result is ProbeResult.FAIL and row.error_class and row.error_class in STOPPERS:
            return row.error_class
    return None


async def probe_dialect(
    http: httpx.AsyncClient,
    target: ProbeTarget,
    dialect: Dialect,
    tasks: Sequence[ProbeTask],
    options: ProbeOptions,
) -> DialectReport:
    ledger = Ledger()
    client = ProbeClient(
        http,
        target.base_url,
        ADAPTERS[dialect],
        target.layer,
        target.headers_for(dialect),
        ledger,
        platform=target.platform if target.layer is Layer.DIRECT else Platform.DIRECT,
        region=target.region,
        project=target.project,
        cloud=target.cloud(),
    )
    ctx = TaskContext(client, target.model, options)
    report = DialectReport(dialect)
    blocked: ErrorClass | None = None
    for task in ordered(tasks):
        if blocked is not None:
            report.rows.append(
                ctx.row(task, ProbeResult.SKIP, detail=f"not run: {blocked.value} earlier")
            )
            continue
        rows = await TASKS[task](ctx)
        report.rows.extend(rows)
        blocked = _stopper(rows)
    report.tokens_spent = ledger.tokens
    report.requests = ledger.requests
    return report


async def run_probes(
    target: ProbeTarget,
    dialects: Sequence[Dialect],
    tasks: Sequence[ProbeTask],
    options: ProbeOptions | None = None,
) -> ProbeReport:
    """Probe every dialect in turn (sequentially: probes measure latency, not throughput)."""
    options = options or ProbeOptions()
    started = datetime.now(UTC).replace(microsecond=0)
    async with new_http(target.timeout) as http:
        reports = [await probe_dialect(http, target, d, tasks, options) for d in dialects]
    return ProbeReport(target, started, datetime.now(UTC).replace(microsecond=0), reports)
