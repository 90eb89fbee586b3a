"""Liveness and readiness through HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import ClientFactory


async def test_liveness_touches_nothing(health_client: httpx.AsyncClient) -> None:
    response = await health_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_reports_each_check(health_client: httpx.AsyncClient) -> None:
    response = await health_client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "cache", "migrations"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert all(check["latency_ms"] >= 0 for check in body["checks"].values())


async def test_readiness_is_503_when_the_cache_is_unreachable(make_client: ClientFactory) -> None:
    unreachable = {"redis_url": "redis://127.0.0.1:1/0"}
    async with make_client(["health"], settings_override=unreachable) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] in {"error", "timeout"}
    assert body["checks"]["database"]["status"] == "ok"
