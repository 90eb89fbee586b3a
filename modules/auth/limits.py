"""Login rate limits per account and per client address, on the shared core cache.

Each attempt is counted *before* the password is checked, with the cache's atomic INCR: a
check-then-count-failures scheme lets a burst of parallel guesses all pass the check before
any failure is counted. It is counted only once the account lookup has answered, so an
attempt we fail to decide (the database down: a 503) costs the caller nothing; once counted,
the password is checked (local CPU work), so every counted attempt is decided. A successful
login clears the account's counter, so only failures accumulate against an account (the
owner's own typos do not lock them out after they get in); the address counter keeps every
decided attempt, so one client cannot spray many accounts.
The account key is the normalised e-mail whether or not it exists, so the 429 reveals nothing.
"""

from __future__ import annotations

from core import Runtime, consume, limit_key
from modules.auth.config import AuthConfig

ACCOUNT_BUCKET = "login-account"
IP_BUCKET = "login-ip"


def _account(email: str) -> str:
    return email.strip().lower()


async def count_login_attempt(*, runtime: Runtime, email: str, ip: str) -> None:
    """Count one attempt; raises `RateLimited` (429) when the address or account is over."""
    if runtime.settings.rate_limit_disabled:
        return
    config = runtime.settings_for(AuthConfig)
    await consume(runtime.cache, bucket=IP_BUCKET, identity=ip, rate=config.ip_rate)
    await consume(
        runtime.cache, bucket=ACCOUNT_BUCKET, identity=_account(email), rate=config.account_rate
    )


async def forget_account_failures(*, runtime: Runtime, email: str) -> None:
    """After a successful login: earlier failures no longer count against the account."""
    if runtime.settings.rate_limit_disabled:
        return
    await runtime.cache.delete(limit_key(ACCOUNT_BUCKET, _account(email)))
