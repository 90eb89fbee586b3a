"""GET /metrics from a process that runs no API (`trellis worker`): a small server in a thread.

The same rules as the API's route: METRICS_TOKEN as a bearer token when set (401 otherwise),
problem+json for every refusal, prometheus_client's own exposition (text or OpenMetrics). It
reports this one process, so it reads the default registry, `process_*` and `python_*`
included, even where PROMETHEUS_MULTIPROC_DIR is set (values then live in that process's files).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from pydantic import SecretStr

from core.errors import problem_response
from core.metrics.endpoint import METRICS_PATH, SCRAPE_REFUSED, bearer_matches

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["metrics_app", "metrics_server"]


def metrics_app(token: SecretStr | None) -> WSGIApplication:
    """prometheus_client's WSGI app, answering GET /metrics only, behind the bearer token."""
    expose = make_wsgi_app(REGISTRY)
    expected = token.get_secret_value().encode() if token else None

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            return _problem(start_response, 404, f"Only {METRICS_PATH} is served here.")
        if environ["REQUEST_METHOD"] != "GET":
            return _problem(start_response, 405, "Use GET.", headers={"Allow": "GET"})
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if expected is not None and not bearer_matches(authorization, expected):
            return _problem(
                start_response,
                401,
                SCRAPE_REFUSED,
                title="Not authenticated",
                headers={"WWW-Authenticate": "Bearer"},
            )
        output: Iterable[bytes] = expose(environ, start_response)
        return output

    return app


@contextmanager
def metrics_server(host: str, port: int, token: SecretStr | None) -> Iterator[tuple[str, int]]:
    """Serve `metrics_app` on `host:port` in a daemon thread; yields the address bound.

    Raises OSError when the port is taken, before anything is served.
    """
    server = make_server(
        host, port, metrics_app(token), ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="trellis-metrics", daemon=True)
    thread.start()
    try:
        yield host, server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _problem(
    start_response: StartResponse, status: int, detail: str, **options: Any
) -> list[bytes]:
    response = problem_response(status, detail=detail, **options)
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers],
    )
    return [bytes(response.body)]


class _QuietHandler(WSGIRequestHandler):
    """No line per scrape on stderr: Prometheus scrapes every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:
        pass
