"""Operator settings: one pydantic-settings class, read from SWITCHYARD_OPERATOR_* variables."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchyard.catalog import DefaultAccess, Executor, RouterSettings, SessionBackend

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
    router_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Router processes per pod (`switchyard router --workers`, SO_REUSEPORT); "
        "the pod's CPU and memory requests and limits are per worker.",
    )
    session_backend: SessionBackend = Field(
        default=SessionBackend.MEMORY,
        description="Where routers keep session state: memory (per pod; stateful sessions then "
        "need routerReplicas 1) or redis (shared; set redis_url).",
    )
    redis_url: str | None = Field(
        default=None, description="redis:// URL the routers use with session_backend redis."
    )
    default_access: DefaultAccess = Field(
        default=DefaultAccess.OPEN, description="Caller policy for groups that are not restricted."
    )
    default_caller_secret: str | None = Field(
        default=None, description="Secret of accepted caller tokens with default_access callers."
    )
    confirm_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Key of the per-namespace caller tokens of post-rollback confirmation "
        "requests (HMAC; routers hold only the token's SHA-256). Unset: a random key per "
        "operator process, so router configs change on every restart.",
    )
    config_compress_above: int = Field(
        default=512 * 1024,
        ge=0,
        description="Store the rendered router config gzipped (ConfigMap binaryData) when its "
        "JSON is larger than this many bytes (0: always). Smaller configs stay readable JSON; "
        "a ConfigMap holds at most 1 MiB either way.",
    )
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

    @model_validator(mode="after")
    def _redis_needs_url(self) -> OperatorSettings:
        if self.session_backend is SessionBackend.REDIS and not self.redis_url:
            raise ValueError(
                "session_backend redis needs redis_url (SWITCHYARD_OPERATOR_REDIS_URL)"
            )
        return self

    def router_settings(self) -> RouterSettings:
        """The RouterConfig settings every namespace's router is rendered with."""
        return RouterSettings(
            default_access=self.default_access,
            default_caller_secret=self.default_caller_secret,
            session_backend=self.session_backend,
            redis_url=self.redis_url,
        )
