"""Operator startup: kopf settings (each one deliberate), login, and the shared context."""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf
from prometheus_client import start_http_server

from .context import Context
from .kube import Kube
from .metrics import OperatorMetrics
from .routerpoll import RouterPoller
from .settings import OperatorSettings

FINALIZER = "switchyard.dev/finalizer"
SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
log = logging.getLogger(__name__)


def configure_kopf(kopf_settings: kopf.OperatorSettings, settings: OperatorSettings) -> None:
    """Every kopf setting we depend on, set explicitly rather than inherited from defaults."""
    p = kopf_settings.persistence
    # Our own finalizer name, so `kubectl get -o yaml` says whose it is.
    p.finalizer = FINALIZER
    # Handler progress in status.kopf.progress, not in annotations: objects applied from Git
    # (Argo CD, Flux) then carry no operator annotations, so no drift is reported.
    p.progress_storage = kopf.StatusProgressStorage(field="status.kopf.progress")
    # The last-handled spec (used to compute diffs for update handlers) in status for the same
    # reason; the CRDs declare status.kopf with preserved unknown fields to hold both.
    p.diffbase_storage = kopf.StatusDiffBaseStorage(field="status.kopf.last-handled-configuration")
    w = kopf_settings.watching
    # Ask the API server to end each watch after this long, and give up on the client side a
    # little later, so a silently dead connection is noticed and the watch re-established.
    w.server_timeout = settings.watch_server_timeout
    w.client_timeout = settings.watch_client_timeout
    w.connect_timeout = 10
    # Only warnings and errors become Kubernetes Events, plus what a handler posts with
    # kopf.event (a SmokeRun's outcome, Promoted, RolledBack...). kopf.info notes
    # (SmokeRunCreated, JobCreated, RouterProofStarted) stay in the operator's log: at a
    # thousand Providers they would be a thousand Events a burst.
    kopf_settings.posting.level = logging.WARNING
    kopf_settings.posting.reporting_component = "switchyard-operator"
    # One operator replica per cluster (Recreate strategy): no peering objects, and no RBAC for
    # them.
    kopf_settings.peering.standalone = True
    # Serve only the namespaces we were given and the CRDs present at startup: no cluster-wide
    # watch of Namespaces or CRDs, so the RBAC stays namespaced.
    kopf_settings.scanning.disabled = not settings.all_namespaces
    # API calls time out rather than hang a handler forever.
    kopf_settings.networking.request_timeout = 60
    kopf_settings.networking.connect_timeout = 10
    # Retry failed handlers with growing back-off, never faster than every 5 s.
    kopf_settings.execution.default_backoff = 5


async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ours: OperatorSettings = memo["settings"]
    configure_kopf(settings, ours)
    metrics = OperatorMetrics()
    if ours.metrics_port:
        server, _thread = start_http_server(ours.metrics_port, registry=metrics.registry)
        memo["metrics_server"] = server
    ctx = Context(
        settings=ours,
        kube=await Kube.connect(),
        poller=RouterPoller(ours.router_url_template, ours.router_port, ours.http_timeout_seconds),
        metrics=metrics,
    )
    if ours.confirm_key is not None:
        ctx.confirm_key = ours.confirm_key.get_secret_value().encode()
    else:
        log.warning(
            "confirm_key is not set: router configs change when the operator restarts "
            "(set SWITCHYARD_OPERATOR_CONFIRM_KEY; the Helm chart does)"
        )
    memo["ctx"] = ctx


async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    ctx: Context | None = memo.get("ctx")
    if ctx is not None:
        await ctx.close()
    server = memo.get("metrics_server")
    if server is not None:
        server.shutdown()


async def healthy(memo: kopf.Memo, **_: Any) -> str:
    """The probe behind /healthz: fails (HTTP 500) until startup has connected to the API."""
    if memo.get("ctx") is None:
        raise kopf.PermanentError("starting")
    return "ok"


def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """The same order as kube.Kube.connect: $KUBECONFIG, the service account, ~/.kube/config."""
    if not os.environ.get("KUBECONFIG") and os.path.exists(SERVICE_ACCOUNT_TOKEN):
        return kopf.login_with_service_account(**kwargs)
    return kopf.login_with_kubeconfig(**kwargs)


def register(registry: kopf.OperatorRegistry) -> None:
    kopf.on.startup(id="switchyard-startup", registry=registry)(startup)
    kopf.on.cleanup(id="switchyard-cleanup", registry=registry)(cleanup)
    kopf.on.login(id="switchyard-login", registry=registry)(login)
    kopf.on.probe(id="switchyard", registry=registry)(healthy)
