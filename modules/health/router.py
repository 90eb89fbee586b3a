"""GET /health (liveness, touches nothing) and GET /health/ready (every readiness probe)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from core import ReadinessChecks
from modules.health.schemas import Liveness, Readiness
from modules.health.service import readiness

router = APIRouter(prefix="/health", tags=["health"])


# Rendered once: probes and load balancers ask many times a second.
_LIVE = Liveness().model_dump_json().encode()


@router.get("", response_model=Liveness)
async def live() -> Response:
    """The process is up; no dependency is touched."""
    return Response(_LIVE, media_type="application/json")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is unavailable"}},
)
async def ready(checks: ReadinessChecks) -> JSONResponse:
    """Every readiness check of the core and the enabled modules."""
    report = await readiness(checks=checks)
    return JSONResponse(report.model_dump(), status_code=200 if report.status == "ok" else 503)
