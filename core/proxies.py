"""TRUSTED_PROXIES: which peers may say, in X-Forwarded-For/-Proto, who the client is.

The app applies it itself, whatever server runs it, so rate limits, sessions and logs all
see the address it yields as `request.client.host`. A request from any other peer keeps the
peer's address, whatever headers it sends. Default: no proxy is trusted. (uvicorn, left to
itself, believes those headers from 127.0.0.1: `trellis serve` switches that off; give plain
`uvicorn` `--no-proxy-headers` for the same.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Annotated

from fastapi import FastAPI
from pydantic import BeforeValidator
from pydantic_settings import NoDecode
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

__all__ = ["TrustedProxies", "install_proxy_headers", "parse_trusted_proxies"]

EVERYONE = "*"


def parse_trusted_proxies(value: object) -> object:
    """Split a comma-separated list; each entry an address, a network (CIDR) or `*`.

    Entries are written canonically (`10.1.2.3/8` becomes `10.0.0.0/8`): uvicorn's matcher
    silently ignores a network with host bits set, and anything that is not an address.
    """
    if isinstance(value, str):
        value = [entry.strip() for entry in value.split(",") if entry.strip()]
    if not isinstance(value, list):
        return value
    entries = [_canonical(str(entry)) for entry in value]
    return [EVERYONE] if EVERYONE in entries else entries


# The setting's type: read from the environment as one comma-separated string.
TrustedProxies = Annotated[list[str], NoDecode, BeforeValidator(parse_trusted_proxies)]


def install_proxy_headers(app: FastAPI, trusted: Sequence[str]) -> None:
    """Believe X-Forwarded-For/-Proto from `trusted` peers only; add this outside the others."""
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted))


def _canonical(entry: str) -> str:
    if entry == EVERYONE:
        return entry
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry, strict=False))
        return str(ipaddress.ip_address(entry))
    except ValueError:
        raise ValueError(
            f"{entry!r} is not an IP address, a network such as 10.0.0.0/8, or '*'"
        ) from None
