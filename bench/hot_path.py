"""The token hot path in process: what resolving one bearer token costs, and in what I/O.

    python -m bench.hot_path [--calls 3000] [--concurrency 32]

Builds the app of users + auth as `trellis serve` would (the embedded default, or PostgreSQL
and Redis from BENCH_DATABASE_URL / BENCH_REDIS_URL, migrated at start-up), signs a user in
through the API, then calls the principal resolver directly, counting cache round trips and
SQL statements per call:

- warm: the steady state, one MGET of denylist, session snapshot and revocation stamp;
- `GET /users/me` through the whole ASGI app, warm, with the API rate limit on (as in
  production, but too high to refuse): answered from the snapshot's claims, so the same one
  MGET, which carries the limit's count, and no SQL statement;
- cold: a snapshot miss on every call, so also the database read and the SET NX after it;
- rewound: the cache's stamp set back, as a restored dump would; calls bypass the cache
  (a database read each) until the background repair has moved snapshots to a new epoch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from core.app import create_app
from core.plugins import PluginsConfig
from core.records import Principal
from core.runtime import Runtime
from core.settings import Settings
from modules.auth import snapshots
from modules.auth.watermark import Stamp, watermark_for


@dataclass
class Counts:
    cache: int = 0
    sql: int = 0


@dataclass(frozen=True)
class Measured:
    label: str
    calls: int
    micros: list[float]
    counts: Counts

    def line(self) -> str:
        mean = statistics.fmean(self.micros)
        p99 = sorted(self.micros)[int(len(self.micros) * 0.99) - 1]
        return (
            f"{self.label:<44} {mean:>8.0f} µs/call  p99 {p99:>6.0f} µs"
            f"  cache {self.counts.cache / self.calls:.2f}  sql {self.counts.sql / self.calls:.2f}"
        )


def bench_settings(var_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=os.environ.get("BENCH_DATABASE_URL") or None,
        redis_url=os.environ.get("BENCH_REDIS_URL") or None,
        secret_key=secrets.token_urlsafe(48),
        var_dir=var_dir,
        cache_prefix=f"bench:{secrets.token_hex(4)}:",
        auto_migrate=True,
        api_rate_limit=f"{2**62}/minute",  # counted on every request, never refused
        log_level="WARNING",
    )


@asynccontextmanager
async def running_app(var_dir: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    config = PluginsConfig(enabled=("users", "auth"), settings={"users": {"bcrypt_rounds": 4}})
    app = create_app(bench_settings(var_dir), plugins=config)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        yield app, client


def count_io(runtime: Runtime, counts: Counts) -> None:
    """Count every call on the app's cache and every SQL statement on its engine."""
    cache: Any = runtime.cache
    for name in ("get", "get_many", "set", "delete", "incr"):
        method = getattr(cache, name)

        def counted(method: Callable[..., Awaitable[Any]] = method) -> Callable[..., Any]:
            async def call(*args: Any, **kwargs: Any) -> Any:
                counts.cache += 1
                return await method(*args, **kwargs)

            return call

        setattr(cache, name, counted())

    def on_statement(*_: Any) -> None:
        counts.sql += 1

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", on_statement)


async def sign_in(client: httpx.AsyncClient) -> str:
    email, password = f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    created = await client.post("/api/v1/users", json={"email": email, "password": password})
    created.raise_for_status()
    login = await client.post("/api/v1/auth/token", data={"username": email, "password": password})
    login.raise_for_status()
    return str(login.json()["access_token"])


async def measure(
    label: str,
    resolve: Callable[[], Awaitable[Principal | None]],
    counts: Counts,
    calls: int,
    before_each: Callable[[], Awaitable[None]] | None = None,
) -> Measured:
    micros: list[float] = []
    total = Counts()
    for _ in range(calls):
        if before_each is not None:
            await before_each()
        cache, sql = counts.cache, counts.sql
        started = time.perf_counter()
        principal = await resolve()
        micros.append((time.perf_counter() - started) * 1e6)
        total.cache += counts.cache - cache
        total.sql += counts.sql - sql
        assert principal is not None
    return Measured(label, calls, micros, total)


async def concurrent_rate(
    resolve: Callable[[], Awaitable[Principal | None]], calls: int, concurrency: int
) -> float:
    """Resolutions per second with `concurrency` in flight on one event loop."""
    started = time.perf_counter()
    for _ in range(calls // concurrency):
        await asyncio.gather(*(resolve() for _ in range(concurrency)))
    return (calls // concurrency) * concurrency / (time.perf_counter() - started)


async def rewind_recovery(runtime: Runtime, resolve: Callable[[], Awaitable[Any]]) -> str:
    """Set the cache's stamp back; count calls until the cache is trusted again."""
    mark = watermark_for(runtime)
    behind = Stamp(epoch=mark.epoch - 1, seq=mark.known.seq, nonce=mark.known.nonce)
    await snapshots.write_stamp(runtime.cache, behind)
    started, bypassed = time.perf_counter(), 0
    while True:
        cached = await snapshots.read_stamp(runtime.cache)
        if cached is not None and cached.covers(mark.known):
            break
        await resolve()
        bypassed += 1
    elapsed = (time.perf_counter() - started) * 1000
    return f"{'rewound: until repaired':<44} {elapsed:>8.1f} ms, {bypassed} call(s) bypassed"


async def run(calls: int, concurrency: int) -> list[str]:
    with tempfile.TemporaryDirectory() as var_dir:
        async with running_app(Path(var_dir)) as (app, client):
            runtime: Runtime = app.state.runtime
            token = await sign_in(client)
            resolver = app.state.principal_resolver

            async def resolve() -> Principal | None:
                principal: Principal | None = await resolver.resolve(token)
                return principal

            first = await resolve()  # loads and caches the snapshot
            if first is None or first.session_id is None:
                raise SystemExit("the bench user's token does not resolve")
            session_id: UUID = first.session_id
            counts = Counts()
            count_io(runtime, counts)

            async def drop_snapshot() -> None:
                mark = watermark_for(runtime)
                await snapshots.forget(runtime.cache, epoch=mark.epoch, session_ids=[session_id])

            warm = await measure("warm (steady state)", resolve, counts, calls)

            bearer = {"Authorization": f"Bearer {token}"}

            async def read_me() -> Principal | None:
                response = await client.get("/api/v1/users/me", headers=bearer)
                response.raise_for_status()
                return first  # answered: what `measure` checks

            me = await measure(
                "GET /users/me, warm, via ASGI, rate limit on", read_me, counts, calls // 3
            )
            cold = await measure(
                "cold (snapshot miss)", resolve, counts, max(calls // 10, 100), drop_snapshot
            )
            rate = await concurrent_rate(resolve, calls, concurrency)
            rewound = await rewind_recovery(runtime, resolve)
            backend = (
                f"{'PostgreSQL' if runtime.settings.database_url else 'SQLite'}"
                f" + {'Redis' if runtime.settings.redis_url else 'in-process cache'}"
            )
            return [
                f"principal resolver in process ({backend}), {calls} calls:",
                warm.line(),
                me.line(),
                cold.line(),
                f"{'warm, ' + str(concurrency) + ' in flight':<44} {rate:>8.0f} calls/s",
                rewound,
            ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    for line in asyncio.run(run(args.calls, args.concurrency)):
        print(line)


if __name__ == "__main__":
    main()
