"""What operators see of a running app: the access log, metrics, proxies, graceful shutdown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from core.access_log import AccessLog
from core.metrics.endpoint import METRICS_PATH, metrics_router, serves_metrics
from core.metrics.http import HttpMetrics
from core.metrics.multiprocess import forget_this_process
from core.metrics.pool import watch_pool
from core.observe import ObserveMiddleware, Observer
from core.proxies import install_proxy_headers
from core.realtime.logfilter import install_websocket_path_filter
from core.runtime import Runtime
from core.shutdown import Shutdown

__all__ = ["install_operations", "serving"]


def install_operations(app: FastAPI, runtime: Runtime) -> None:
    """Add the request observers and the proxy rule outside the edge middleware, and /metrics.

    Called after `install_middleware` (so these wrap it) and before the modules are mounted
    (so a module's route cannot take /metrics).
    """
    settings = runtime.settings
    observers: list[Observer] = []
    if settings.access_log:
        observers.append(AccessLog())
    if serves_metrics(settings):
        observers.append(HttpMetrics(skip_path=METRICS_PATH))
        app.include_router(metrics_router(settings.metrics_token))
    if observers:
        app.add_middleware(ObserveMiddleware, routes=app.router.routes, observers=observers)
    install_proxy_headers(app, settings.trusted_proxies)
    # The access line above replaces uvicorn's, which shows raw paths with their query strings.
    logging.getLogger("uvicorn.access").disabled = True
    install_websocket_path_filter()  # uvicorn logs WebSocket handshakes with the query string


@contextmanager
def serving(runtime: Runtime, shutdown: Shutdown) -> Iterator[None]:
    """The lifespan's part: pool gauges, SIGTERM draining; this worker's gauges let go at exit."""
    if serves_metrics(runtime.settings):
        watch_pool(runtime.engine)
    try:
        with shutdown.on_sigterm():
            yield
    finally:
        forget_this_process()
