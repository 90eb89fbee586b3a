"""GET /metrics in Prometheus' text format, behind a bearer token when METRICS_TOKEN is set."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder
from pydantic import SecretStr

from core.deps import NotAuthenticated
from core.metrics.multiprocess import registry
from core.settings import Settings

__all__ = ["METRICS_PATH", "SCRAPE_REFUSED", "bearer_matches", "metrics_router", "serves_metrics"]

METRICS_PATH = "/metrics"
SCRAPE_REFUSED = "/metrics needs the METRICS_TOKEN as a bearer token."


def serves_metrics(settings: Settings) -> bool:
    """METRICS_ENABLED, which defaults to on in development and off in production."""
    if settings.metrics_enabled is None:
        return not settings.is_production
    return settings.metrics_enabled


def metrics_router(token: SecretStr | None) -> APIRouter:
    """The core's /metrics route: outside /api/v1, so no API rate limit, and not documented."""
    router = APIRouter()
    expected = token.get_secret_value().encode() if token else None

    # A plain `def`: FastAPI runs it in a worker thread, as reading workers' files may block.
    @router.get(METRICS_PATH, include_in_schema=False)
    def scrape(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        if expected is not None and not bearer_matches(authorization, expected):
            raise NotAuthenticated(SCRAPE_REFUSED, headers={"WWW-Authenticate": "Bearer"})
        # Prometheus' text format, or OpenMetrics when the scraper asks for it.
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(registry()), media_type=media_type)

    return router


def bearer_matches(authorization: str, expected: bytes) -> bool:
    """An `Authorization: Bearer <token>` header carrying `expected`, compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), expected)
