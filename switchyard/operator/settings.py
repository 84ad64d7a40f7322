"""Operator settings: one pydantic-settings class, read from SWITCHYARD_OPERATOR_* variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchyard.catalog import Executor

DEFAULT_IMAGE = "ghcr.io/switchyard/switchyard:0.1.0"


class OperatorSettings(BaseSettings):
    """Everything tunable about the operator; the CLI overrides the namespace choice."""

    model_config = SettingsConfigDict(env_prefix="SWITCHYARD_OPERATOR_", extra="forbid")

    namespaces: list[str] = Field(default_factory=list, description="Namespaces to watch.")
    all_namespaces: bool = Field(default=False, description="Watch every namespace.")
    kubeconfig: str | None = Field(default=None, description="Kubeconfig path (else in-cluster).")

    image: str = Field(default=DEFAULT_IMAGE, description="Image of router pods and smoke Jobs.")
    image_pull_policy: str = Field(default="IfNotPresent")
    router_replicas: int = Field(default=2, ge=1, le=50)
    rollout_deadline_seconds: int = Field(
        default=180, ge=5, description="Time for router pods to report a new revision ready."
    )
    router_url_template: str = Field(
        default="http://{pod_ip}:{port}",
        description="Base URL of one router pod; /readyz and /metrics are read under it.",
    )
    router_port: int = Field(default=8080, ge=1, le=65535)
    http_timeout_seconds: float = Field(default=5.0, gt=0)

    reconcile_interval_seconds: float = Field(
        default=30.0, gt=0, description="Level-based re-reconcile of Providers and ModelGroups."
    )
    smoke_poll_seconds: float = Field(default=10.0, gt=0, description="SmokeRun Job polling.")
    smoke_executor: Executor = Field(default=Executor.JOB, description="For automatic SmokeRuns.")
    job_ttl_seconds: int = Field(
        default=600, ge=0, description="Finished smoke Jobs live this long."
    )

    metrics_port: int = Field(default=9090, ge=0, le=65535, description="0 disables /metrics.")
    health_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of GET /healthz for liveness and readiness probes (0 disables); "
        "200 once startup finished and the API answers.",
    )
    watch_server_timeout: int = Field(default=300, ge=10)
    watch_client_timeout: int = Field(default=330, ge=10)
