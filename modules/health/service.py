"""Run readiness probes concurrently, each bounded by its own timeout."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Literal

from core import HealthCheck
from modules.health.schemas import CheckResult, Readiness

log = logging.getLogger("trellis.health")


async def run_check(check: HealthCheck) -> CheckResult:
    started = time.perf_counter()
    status: Literal["ok", "error", "timeout"] = "ok"
    detail: str | None = None
    try:
        await asyncio.wait_for(check.probe(), timeout=check.timeout)
    except TimeoutError:
        status, detail = "timeout", f"no answer within {check.timeout:g}s"
    except Exception as error:  # a probe may fail in any way; readiness reports, never raises
        log.warning("readiness check %s failed: %r", check.name, error)
        status, detail = "error", type(error).__name__
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckResult(status=status, latency_ms=latency, detail=detail)


async def readiness(*, checks: Sequence[HealthCheck]) -> Readiness:
    results = await asyncio.gather(*(run_check(check) for check in checks))
    by_name = {check.name: result for check, result in zip(checks, results, strict=True)}
    healthy = all(result.status == "ok" for result in results)
    return Readiness(status="ok" if healthy else "unavailable", checks=by_name)
