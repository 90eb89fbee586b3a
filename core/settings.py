"""Process-wide settings, read from the environment (and `.env`)."""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.proxies import TrustedProxies
from core.ratelimit import Rate

MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    development = "development"
    production = "production"


class UnsafeSettings(ValueError):
    """Raised when production is asked to start with settings that would make it insecure."""


class Settings(BaseSettings):
    """Everything the core needs; module settings live in `plugins.toml` instead."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Environment = Environment.development
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    plugins_file: Path = Field(Path("plugins.toml"), validation_alias="TRELLIS_PLUGINS")
    var_dir: Path = Field(Path("var"), validation_alias="TRELLIS_VAR_DIR")
    rate_limit_disabled: bool = Field(False, validation_alias="TRELLIS_RATE_LIMIT_DISABLED")
    api_rate_limit: str = "100/minute"
    cache_prefix: str = "trellis:"
    cache_timeout: float = Field(1.0, gt=0)
    max_body_bytes: int = 1_048_576
    body_read_timeout: float = Field(10.0, gt=0)
    # Unset pool sizes follow the worker count (`pool_size`, `pool_overflow` below).
    web_concurrency: int = Field(1, ge=1, validation_alias="WEB_CONCURRENCY")
    db_max_connections: int = Field(20, ge=1)
    db_pool_size: int | None = Field(None, ge=1)
    db_max_overflow: int | None = Field(None, ge=0)
    db_pool_timeout: float = 5.0
    db_connect_timeout: float = 3.0
    db_statement_timeout_ms: int = 10_000
    db_idle_in_transaction_timeout_ms: int = Field(30_000, ge=0)  # 0: never
    auto_migrate: bool | None = None
    # Operations (README, Observability): the request log, metrics, proxies, shutdown.
    access_log: bool = True
    log_format: Literal["text", "json"] | None = None  # unset: JSON in production
    metrics_enabled: bool | None = None  # unset: on in development, off in production
    metrics_token: SecretStr | None = None
    worker_metrics_port: int = Field(9100, ge=1, le=65535)  # `trellis worker`'s own /metrics
    trusted_proxies: TrustedProxies = Field(default_factory=list)
    shutdown_timeout: int = Field(30, gt=0)
    shutdown_drain: float = Field(0.0, ge=0)
    # Overload (README, Configuration): per worker, requests in flight and the wait for a slot;
    # the listen backlog and uvicorn's own connection limit, passed by `trellis serve`.
    max_in_flight: int = Field(64, ge=0)  # 0: no limit
    in_flight_wait: float = Field(0.5, ge=0)
    shed_exempt_paths: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["/health", "/health/ready", "/metrics"]
    )
    backlog: int = Field(2048, ge=1)
    limit_concurrency: int | None = Field(None, ge=1)
    # uvloop accepts one new connection per loop turn, so under load a burst of connections
    # waits seconds to be accepted (bench/results.md); asyncio's loop accepts them together.
    event_loop: Literal["asyncio", "uvloop", "auto"] = "asyncio"
    # WebSocket heartbeats (README, Real-time), passed by `trellis serve`: a ping when a socket
    # was quiet this long, and the wait for its pong before the peer counts as dead.
    ws_ping_interval: float = Field(20.0, gt=0)
    ws_ping_timeout: float = Field(20.0, gt=0)
    # Background tasks (README, Background tasks): unset BROKER_URL runs them in-process.
    broker_url: str | None = None
    task_queue: str = Field("trellis", min_length=1)
    task_poll_interval: float = Field(1.0, gt=0)
    task_backoff_scale: float = Field(1.0, ge=0)  # tests shrink every backoff with it

    @field_validator("cors_origins", "shed_exempt_paths", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("api_rate_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        Rate.parse(value)
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is not Environment.production:
            return self
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(key.encode()) < MIN_SECRET_BYTES:
            raise UnsafeSettings(
                f"SECRET_KEY must be set to at least {MIN_SECRET_BYTES} bytes in production"
            )
        if self.database_url is None:
            raise UnsafeSettings("DATABASE_URL must be set in production (no embedded SQLite)")
        if "*" in self.cors_origins:
            raise UnsafeSettings("CORS_ORIGINS may not be '*' in production")
        if self.metrics_enabled and not self.metrics_token:
            raise UnsafeSettings("METRICS_TOKEN must be set to serve metrics in production")
        return self

    @property
    def pool_size(self) -> int:
        """Connections each worker's pool keeps: DB_POOL_SIZE, else an even share of
        DB_MAX_CONNECTIONS among the WEB_CONCURRENCY workers (at least 2)."""
        if self.db_pool_size is not None:
            return self.db_pool_size
        return max(2, self.db_max_connections // self.web_concurrency)

    @property
    def pool_overflow(self) -> int:
        """Connections a worker may open beyond its pool: DB_MAX_OVERFLOW, else none, so the
        instance never holds more than DB_MAX_CONNECTIONS (overflow ones are reopened per burst)."""
        return self.db_max_overflow if self.db_max_overflow is not None else 0

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under `var/`."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.var_dir / 'trellis.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        """Migrate at start-up only on the embedded default, unless told otherwise."""
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.is_sqlite and not self.is_production

    def signing_key(self) -> str:
        """The secret key; in development one is generated once and kept under `var/`."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.var_dir / "secret_key"
        if not key_file.exists():
            _publish_once(key_file, secrets.token_urlsafe(48))
        return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Pick the async driver for the URLs operators usually write."""
    for plain in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    return url


def _publish_once(path: Path, content: str) -> None:
    """Write a private file atomically; when several workers race, the first one wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
