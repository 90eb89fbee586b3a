"""Request metrics: counts and durations by method, route template and status; in flight."""

from __future__ import annotations

from starlette.types import Scope

from core.metrics.standard import HTTP_DURATION, HTTP_IN_FLIGHT, HTTP_REQUESTS
from core.observe import Exchange

__all__ = ["HttpMetrics"]

# Any other method a client makes up is counted as OTHER, so it cannot mint new series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """The `trellis_http_*` metrics; the scrape itself (`skip_path`) is not counted."""

    def __init__(self, *, skip_path: str) -> None:
        self.skip_path = skip_path

    def started(self, scope: Scope) -> None:
        if scope["path"] != self.skip_path:
            HTTP_IN_FLIGHT.inc()

    def finished(self, scope: Scope, exchange: Exchange) -> None:
        if scope["path"] == self.skip_path:
            return
        HTTP_IN_FLIGHT.dec()
        method = exchange.method if exchange.method in _METHODS else "OTHER"
        HTTP_REQUESTS.labels(method, exchange.route, str(exchange.status)).inc()
        HTTP_DURATION.labels(method, exchange.route).observe(exchange.seconds)
