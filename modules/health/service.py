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

# Probes that timed out, cancelled and left to finish their clean-up; held so none is
# garbage-collected while it runs.
_abandoned: set[asyncio.Future[None]] = set()


async def run_check(check: HealthCheck) -> CheckResult:
    started = time.perf_counter()
    status: Literal["ok", "error", "timeout"] = "ok"
    detail: str | None = None
    probe = asyncio.ensure_future(check.probe())
    try:
        done, _ = await asyncio.wait({probe}, timeout=check.timeout)
    except asyncio.CancelledError:
        _abandon(probe)
        raise
    if not done:
        _abandon(probe)
        status, detail = "timeout", f"no answer within {check.timeout:g}s"
    elif (error := probe.exception()) is not None:
        # a probe may fail in any way; readiness reports, never raises
        log.warning("readiness check %s failed: %r", check.name, error)
        status, detail = "error", type(error).__name__
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckResult(status=status, latency_ms=latency, detail=detail)


def _abandon(probe: asyncio.Future[None]) -> None:
    """Cancel a probe without waiting for it to wind down.

    A cancelled driver call may take longer than the check may to clean up (psycopg asks a
    silent server to cancel the query and waits for it), and readiness must still answer in time.
    """
    probe.cancel()
    _abandoned.add(probe)
    probe.add_done_callback(_forget)


def _forget(probe: asyncio.Future[None]) -> None:
    _abandoned.discard(probe)
    if not probe.cancelled() and probe.exception() is not None:
        log.debug("abandoned readiness probe ended with %r", probe.exception())


async def readiness(*, checks: Sequence[HealthCheck]) -> Readiness:
    results = await asyncio.gather(*(run_check(check) for check in checks))
    by_name = {check.name: result for check, result in zip(checks, results, strict=True)}
    healthy = all(result.status == "ok" for result in results)
    return Readiness(status="ok" if healthy else "unavailable", checks=by_name)
