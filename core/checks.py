"""Readiness probes the core contributes before any module's: database, cache, migrations."""

from __future__ import annotations

from functools import partial

from sqlalchemy import text

from core.host import Host
from core.migrate import pending
from core.records import HealthCheck
from core.runtime import Runtime


async def database_answers(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def cache_answers(runtime: Runtime) -> None:
    await runtime.cache.ping()


async def schema_is_current(runtime: Runtime, host: Host) -> None:
    behind = await pending(runtime, host)
    if behind:
        raise RuntimeError(f"migrations pending for: {', '.join(behind)}")


def core_checks(runtime: Runtime, host: Host) -> tuple[HealthCheck, ...]:
    return (
        HealthCheck("database", probe=partial(database_answers, runtime)),
        HealthCheck("cache", probe=partial(cache_answers, runtime)),
        HealthCheck("migrations", probe=partial(schema_is_current, runtime, host)),
    )
