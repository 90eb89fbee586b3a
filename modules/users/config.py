"""Settings of the users module, from `[modules.users]` in plugins.toml."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class UsersConfig(BaseModel, extra="forbid"):
    """Registration switch, password policy, hashing cost and the admin page size cap."""

    registration_enabled: bool = True
    # Characters (Unicode code points, as sent and as JSON Schema counts them), not bytes:
    # any script counts alike. The OpenAPI document states both (users.schemas.NewPassword).
    password_min_length: int = Field(8, ge=1)
    password_max_length: int = Field(128, ge=1, le=1024)
    # 4 is for tests only; each step doubles the work of every login.
    bcrypt_rounds: int = Field(12, ge=4, le=16)
    # Hashes (bcrypt) running at once per worker; unset: one per CPU core the process may use.
    # More only queue in the kernel's scheduler and slow every request of the worker down.
    hash_concurrency: int | None = Field(None, ge=1, le=1024)
    # Seconds a login, registration or password change may queue, for a worker slot and then a
    # hashing slot, before a 503.
    hash_wait_seconds: float = Field(1.0, ge=0, le=60)
    list_max_limit: int = Field(100, ge=1, le=1000)

    @model_validator(mode="after")
    def _lengths_ordered(self) -> UsersConfig:
        if self.password_min_length > self.password_max_length:
            raise ValueError("password_min_length must not exceed password_max_length")
        return self


class BootstrapSettings(BaseSettings):
    """FIRST_SUPERUSER_EMAIL / FIRST_SUPERUSER_PASSWORD: an operator's env, not plugins.toml."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    first_superuser_email: str | None = None
    first_superuser_password: SecretStr | None = None
