"""Request metrics: counts and durations by method, route template and status; in flight."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from starlette.types import Scope

from core.metrics.standard import HTTP_DURATION, HTTP_IN_FLIGHT, HTTP_REQUESTS
from core.observe import Exchange

__all__ = ["HttpMetrics"]

# Any other method a client makes up is counted as OTHER, so it cannot mint new series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The children of one (method, route template, status): the label lookup costs more than the
# increment, and these keys are few (templates and statuses are finite), so each is looked up once.
_Children = tuple[Counter, Histogram]


class HttpMetrics:
    """The `trellis_http_*` metrics; the scrape itself (`skip_path`) is not counted."""

    def __init__(self, *, skip_path: str) -> None:
        self.skip_path = skip_path
        self._children: dict[tuple[str, str, int], _Children] = {}

    def started(self, scope: Scope) -> None:
        if scope["path"] != self.skip_path:
            HTTP_IN_FLIGHT.inc()

    def finished(self, scope: Scope, exchange: Exchange) -> None:
        if scope["path"] == self.skip_path:
            return
        HTTP_IN_FLIGHT.dec()
        method = exchange.method if exchange.method in _METHODS else "OTHER"
        key = (method, exchange.route, exchange.status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = _children_of(*key)
        requests, duration = children
        requests.inc()
        duration.observe(exchange.seconds)


def _children_of(method: str, route: str, status: int) -> _Children:
    return HTTP_REQUESTS.labels(method, route, str(status)), HTTP_DURATION.labels(method, route)
