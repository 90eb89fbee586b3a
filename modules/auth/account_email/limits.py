"""Limits on requests that mail someone: per target address and per client IP.

Counted whether or not the address has an account, so a 429 reveals nothing; the address
key is the normalised e-mail, hashed by the core before it reaches the cache.
"""

from __future__ import annotations

from core import Rate, Runtime, consume
from modules.auth.config import AuthConfig

ADDRESS_BUCKET = "account-mail-address"
IP_BUCKET = "account-mail-ip"


async def count_mail_request(*, runtime: Runtime, email: str, ip: str) -> None:
    """Count one request; raises `RateLimited` (429) when the IP or the address is over."""
    if runtime.settings.rate_limit_disabled:
        return
    config = runtime.settings_for(AuthConfig)
    ip_rate = Rate.parse(config.account_mail_rate_per_ip)
    address_rate = Rate.parse(config.account_mail_rate_per_address)
    await consume(runtime.cache, bucket=IP_BUCKET, identity=ip, rate=ip_rate)
    await consume(
        runtime.cache, bucket=ADDRESS_BUCKET, identity=email.strip().lower(), rate=address_rate
    )
