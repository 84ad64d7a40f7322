"""Process settings of the router: one pydantic-settings class, env prefix SWITCHYARD_ROUTER_.

Routing policy lives in the RouterConfig file (it hot-reloads); these are the knobs of the
process itself (ports, limits, timeouts), fixed for its lifetime.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchyard.wire import MAX_EVENT_BYTES


class Settings(BaseSettings):
    # nan and inf are never a sensible timeout or limit
    model_config = SettingsConfigDict(
        env_prefix="SWITCHYARD_ROUTER_", extra="forbid", allow_inf_nan=False
    )

    config: Path = Field(default=Path("/etc/switchyard/config/router.json"))
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    secrets_dir: Path = Field(default=Path("/etc/switchyard/secrets"))

    # 512 KiB coding-agent payloads plus several base64 images fit with room to spare.
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # A whole non-streamed upstream reply (decoded), and one stream event until it ends: more
    # is a BadResponse (a fallback while nothing reached the caller; else the error event).
    max_reply_bytes: int = Field(default=MAX_EVENT_BYTES, ge=1024)
    pool_limit: int = Field(default=512, ge=1, description="Upstream connections in total.")
    pool_limit_per_host: int = Field(default=0, ge=0, description="0: no per-host limit.")
    connect_timeout: float = Field(default=10.0, gt=0)
    # A gap between upstream bytes (headers included), never a total: long streams are fine.
    read_timeout: float = Field(default=300.0, gt=0)

    # Slow and broken clients (docs/limits.md). A request head must be complete within
    # header_timeout of the connection opening (or of its first byte on a kept-alive
    # connection); the whole body within body_timeout of the head.
    header_timeout: float = Field(default=15.0, gt=0, le=3600)
    body_timeout: float = Field(default=60.0, gt=0, le=3600)
    keepalive_timeout: float = Field(default=75.0, gt=0, le=3600)
    # On SIGTERM requests in flight get this long to finish, then they are cancelled (their
    # usage rows still written) and the process exits: keep it under the pod's
    # terminationGracePeriodSeconds (30 s by default), or the kubelet's SIGKILL cuts it short.
    drain_timeout: float = Field(default=25.0, ge=0, le=3600)
    max_connections: int = Field(default=4096, ge=1, description="Open client connections.")
    # Behind an ingress or a mesh sidecar most connections share a few addresses: keep it high.
    max_connections_per_client: int = Field(
        default=1024, ge=1, description="Open connections per client address."
    )
    max_json_depth: int = Field(
        default=100, ge=8, le=200, description="Nesting levels of a request body's JSON."
    )

    eject_after_failures: int = Field(default=3, ge=1)
    eject_seconds: float = Field(default=30.0, gt=0)
    max_retry_after_seconds: float = Field(default=60.0, ge=0)

    reload_interval: float = Field(default=1.0, gt=0)
    # inotify on the config and Secret directories wakes the reload at once (Linux); the poll
    # every reload_interval runs as well, and alone when this is off or inotify is unavailable.
    reload_watch: bool = True
    usage_sink: str = Field(default="stdout", description="stdout, none, or a file path.")
    log_level: str = "INFO"
    # Processes sharing the port (SO_REUSEPORT), each with its own reload, connection limits
    # and usage sink writes; /metrics of any of them shows the totals (workers.py).
    workers: int = Field(default=1, ge=1, le=64)

    @model_validator(mode="after")
    def _workers_need_a_port(self) -> Settings:
        if self.workers > 1 and self.port == 0:
            raise ValueError("workers > 1 need a fixed port (port 0 would give each its own)")
        return self
