"""Readiness probes the core contributes before any module's."""

from __future__ import annotations

from sqlalchemy import text

from core.migrate import pending
from core.records import HealthCheck
from core.runtime import Runtime


async def database_answers(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def cache_answers(runtime: Runtime) -> None:
    await runtime.cache.ping()


async def schema_is_current(runtime: Runtime) -> None:
    behind = await pending(runtime)
    if behind:
        raise RuntimeError(f"migrations pending for: {', '.join(behind)}")


CORE_CHECKS = (
    HealthCheck("database", probe=database_answers),
    HealthCheck("cache", probe=cache_answers),
    HealthCheck("migrations", probe=schema_is_current),
)
