"""Settings of the auth module, from `[modules.auth]` in plugins.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from core import Rate
from modules.auth.keys import ASYMMETRIC, load_key_pair

Algorithm = Literal["HS256", "HS384", "HS512", "RS256", "EdDSA"]


class AuthConfig(BaseModel, extra="forbid", frozen=True):
    """Token lifetimes, signing algorithm and keys, claims, revocation, and the login limits.

    HS* algorithms sign with the core's SECRET_KEY; RS256/EdDSA need PEM key files, which
    are read and checked when the settings load so a bad key fails start-up, not a login.
    """

    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(14, ge=1, le=365)
    algorithm: Algorithm = "HS256"
    private_key_file: Path | None = None
    public_key_file: Path | None = None
    issuer: str = Field("trellis", min_length=1)
    audience: str = Field("trellis-api", min_length=1)
    leeway_seconds: int = Field(10, ge=0, le=300)
    # A rotated refresh token presented again this soon is a concurrent use (two tabs, a
    # retry): it gets the same successor. Later, it is a stolen copy and the family is
    # revoked (RFC 9700 §4.14.2). 0 turns the grace off.
    refresh_reuse_grace_seconds: float = Field(20, ge=0, le=300)
    # How often each instance rereads the revocation stamp (`modules.auth.revocations`): the
    # longest a rewound cache could go unnoticed if nothing else gives the rewind away.
    revocation_poll_seconds: float = Field(1, gt=0, le=60)
    login_rate_per_account: str = "5/minute"
    login_rate_per_ip: str = "20/minute"
    # Account e-mail (modules.auth.account_email): mailed links and who may ask for them.
    reset_token_minutes: int = Field(60, ge=1, le=24 * 60)
    verify_token_hours: int = Field(48, ge=1, le=30 * 24)
    send_verification_on_register: bool = False
    require_verified_login: bool = False
    # Mail the account a notice (no link) whenever its password changes, however it changed.
    notify_password_change: bool = True
    account_mail_rate_per_address: str = "5/hour"
    account_mail_rate_per_ip: str = "20/hour"
    # Housekeeping (modules.auth.prune): the daily task's, and `trellis auth prune`'s default.
    prune_older_than_days: int = Field(7, ge=0, le=3650)

    @field_validator(
        "login_rate_per_account",
        "login_rate_per_ip",
        "account_mail_rate_per_address",
        "account_mail_rate_per_ip",
    )
    @classmethod
    def _check_rate(cls, value: str) -> str:
        Rate.parse(value)
        return value

    @model_validator(mode="after")
    def _check_keys(self) -> AuthConfig:
        if self.algorithm not in ASYMMETRIC:
            if self.private_key_file or self.public_key_file:
                raise ValueError(
                    f"key files are only used with RS256 or EdDSA, not {self.algorithm}"
                )
            return self
        if not (self.private_key_file and self.public_key_file):
            raise ValueError(f"{self.algorithm} needs private_key_file and public_key_file")
        load_key_pair(self)
        return self

    @property
    def access_ttl(self) -> int:
        """Seconds an access token lives."""
        return self.access_token_minutes * 60

    @property
    def snapshot_ttl(self) -> int:
        """Seconds a session snapshot or revocation marker must outlive any access token."""
        return self.access_ttl + self.leeway_seconds + 1

    @property
    def account_rate(self) -> Rate:
        return Rate.parse(self.login_rate_per_account)

    @property
    def ip_rate(self) -> Rate:
        return Rate.parse(self.login_rate_per_ip)
