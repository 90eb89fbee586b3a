"""Mail settings, read from the environment (and `.env`), as deployments usually configure SMTP."""

from __future__ import annotations

import ipaddress

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class UnsafeMailSettings(ValueError):
    """Production was asked to send mail in a way that would leak secrets."""


class MailSettings(BaseSettings):
    """Without `SMTP_HOST` messages go to the log (console backend), the embedded default."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: bool = True  # STARTTLS after connecting
    smtp_ssl: bool = False  # implicit TLS from the first byte (usually port 465)
    smtp_timeout: float = Field(10.0, gt=0)
    emails_from_email: str | None = None
    emails_from_name: str = "Trellis"
    frontend_url: str = "http://localhost:5173"

    @field_validator("frontend_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_transport(self) -> MailSettings:
        if self.smtp_tls and self.smtp_ssl:
            raise ValueError("SMTP_TLS (STARTTLS) and SMTP_SSL cannot both be enabled")
        if self.smtp_host and not self.emails_from_email:
            # A missing sender would only surface as rejected mail, long after start-up.
            raise ValueError("EMAILS_FROM_EMAIL must be set when SMTP_HOST is")
        return self

    def refuse_cleartext_login(self) -> None:
        """Raise when SMTP_PASSWORD would travel unencrypted to another machine."""
        if not self.smtp_user or self.smtp_tls or self.smtp_ssl or _is_loopback(self.smtp_host):
            return
        raise UnsafeMailSettings(
            "SMTP_USER is set without SMTP_TLS or SMTP_SSL: production will not send"
            " SMTP credentials in clear text"
        )


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False
