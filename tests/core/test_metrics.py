"""GET /metrics: Prometheus' text format, request metrics by route template, pool gauges, token.

Metrics are process-wide, as Prometheus counts them: a test reads what its own requests added
between two scrapes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from core import metrics
from core.cache.base import CacheUnavailable
from core.cache.redis import RedisCache
from core.metrics.endpoint import serves_metrics
from core.settings import Settings
from core.testing import Backend, ClientFactory
from tests.support.packages import routed_module
from tests.support.processes import free_port

Scrape = Mapping[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "scrape-token-0123456789abcdef"


def parse(text: str) -> Scrape:
    """Every sample of a scrape, read with prometheus_client's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def value(scraped: Scrape, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def added(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def counted(method: str, route: str, status: int) -> dict[str, str]:
    return {"method": method, "route": route, "status": str(status)}


async def test_requests_are_counted_by_route_template_and_status(
    make_client: ClientFactory,
) -> None:
    someone = f"/api/v1/users/{uuid.uuid4()}"
    async with make_client(["health", "users"]) as client:
        before = await scrape(client)
        assert (await client.get("/health")).status_code == 200
        assert (await client.head("/health")).status_code == 200
        for _ in range(2):
            assert (await client.get(someone)).status_code == 401
        assert (await client.get("/no/such/page")).status_code == 404
        after_text = (await client.get("/metrics")).text
    after = parse(after_text)

    total = "trellis_http_requests_total"
    assert added(before, after, total, **counted("GET", "/health", 200)) == 1
    assert added(before, after, total, **counted("HEAD", "/health", 200)) == 1
    assert added(before, after, total, **counted("GET", "/api/v1/users/{user_id}", 401)) == 2
    assert added(before, after, total, **counted("GET", "unmatched", 404)) == 1
    durations = "trellis_http_request_duration_seconds_count"
    assert added(before, after, durations, method="GET", route="/api/v1/users/{user_id}") == 2
    # Never the raw path, and the scrapes themselves are not counted.
    assert someone not in after_text
    assert "/no/such/page" not in after_text
    assert added(before, after, total, **counted("GET", "/metrics", 200)) == 0
    assert value(after, "trellis_http_requests_in_flight") == 0


async def test_openmetrics_when_the_scraper_asks_for_it(make_client: ClientFactory) -> None:
    openmetrics = {"Accept": "application/openmetrics-text; version=1.0.0"}
    async with make_client(["health"]) as client:
        response = await client.get("/metrics", headers=openmetrics)
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


async def test_pool_gauges_follow_checkouts(make_client: ClientFactory, backend: Backend) -> None:
    on_postgres = backend.database_url is not None
    small_pool = {"db_pool_size": 1, "db_max_overflow": 2} if on_postgres else {}
    async with make_client(["health"], settings_override=small_pool) as client:
        engine = client.runtime.engine
        idle = await scrape(client)
        assert value(idle, "trellis_db_pool_size") == (1 if on_postgres else 5)
        assert value(idle, "trellis_db_pool_checked_out") == 0
        async with engine.connect(), engine.connect():
            busy = await scrape(client)
        assert value(busy, "trellis_db_pool_checked_out") == 2
        # Beyond a pool of one, the second connection is an overflow one.
        assert value(busy, "trellis_db_pool_overflow") == (1 if on_postgres else 0)
        done = await scrape(client)
    assert value(done, "trellis_db_pool_checked_out") == 0
    assert value(done, "trellis_db_pool_overflow") == 0


async def test_a_metrics_token_is_asked_for_as_a_bearer_token(make_client: ClientFactory) -> None:
    with_token = {"metrics_token": SecretStr(TOKEN)}
    async with make_client(["health"], settings_override=with_token) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["www-authenticate"] == "Bearer"
            assert TOKEN not in refused.text
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert "trellis_http_requests_total" in allowed.text
    assert "ratelimit-limit" not in allowed.headers  # a core route, outside the API's limit


async def test_metrics_switch_off(make_client: ClientFactory) -> None:
    async with make_client(["health"], settings_override={"metrics_enabled": False}) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/health")).status_code == 200


def test_production_serves_metrics_only_when_asked_and_with_a_token() -> None:
    safe = {"secret_key": "k" * 32, "database_url": "postgresql://db/app"}

    def production(**values: object) -> Settings:
        return Settings(_env_file=None, environment="production", **safe, **values)  # type: ignore[arg-type]

    assert not serves_metrics(production())
    with pytest.raises(ValidationError, match="METRICS_TOKEN must be set to serve metrics"):
        production(metrics_enabled=True)
    with pytest.raises(ValidationError, match="METRICS_TOKEN must be set to serve metrics"):
        production(metrics_enabled=True, metrics_token="")
    assert serves_metrics(production(metrics_enabled=True, metrics_token=TOKEN))
    assert serves_metrics(Settings(_env_file=None))  # development: on unless switched off


def widgets_module(made: metrics.Counter) -> ModuleType:
    """A module counting its own work with a metric it declared through the core."""
    router = APIRouter(prefix="/widgets", tags=["widgets"])

    @router.post("", status_code=201)
    async def make_widget() -> dict[str, bool]:
        made.labels(colour="blue").inc()
        return {"made": True}

    return routed_module("widgets", router, version="1.0")


async def test_modules_add_their_own_metrics(make_client: ClientFactory) -> None:
    made = metrics.counter("acme_widgets_made_total", "Widgets made, by colour.", ["colour"])
    # Declared at import, so asked again whenever a module is imported afresh: the same one.
    assert metrics.counter("acme_widgets_made_total", "Widgets made.", ["colour"]) is made
    with pytest.raises(ValueError, match="already declared as a counter with labels"):
        metrics.counter("acme_widgets_made_total", "Widgets made.", ["shape"])
    with pytest.raises(ValueError, match="already declared as a counter"):
        metrics.gauge("acme_widgets_made_total", "Widgets made.", ["colour"])

    async with make_client(["widgets"], extra_plugins=[widgets_module(made)]) as client:
        before = await scrape(client)
        assert (await client.post("/api/v1/widgets")).status_code == 201
        after = await scrape(client)
    assert added(before, after, "acme_widgets_made_total", colour="blue") == 1


async def test_rate_limit_refusals_are_counted_by_bucket(make_client: ClientFactory) -> None:
    someone = f"/api/v1/users/{uuid.uuid4()}"
    async with make_client(["users"], settings_override={"api_rate_limit": "2/minute"}) as client:
        before = await scrape(client)
        statuses = [(await client.get(someone)).status_code for _ in range(3)]
        after = await scrape(client)
    assert statuses == [401, 401, 429]
    assert added(before, after, "trellis_rate_limited_total", bucket="api") == 1


async def test_cache_failures_are_counted() -> None:
    before = REGISTRY.get_sample_value("trellis_cache_errors_total") or 0.0
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)  # nobody listens
    try:
        with pytest.raises(CacheUnavailable):
            await cache.get("anything")
    finally:
        await cache.close()
    assert REGISTRY.get_sample_value("trellis_cache_errors_total") == before + 1


def test_the_readme_example_runs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Observability", 1)[1].split("\n### ", 1)[0]
    [example] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    before = REGISTRY.get_sample_value("acme_notes_saved_total", {"kind": "draft"}) or 0.0
    exec(example, {})  # noqa: S102 (our own README)
    assert REGISTRY.get_sample_value("acme_notes_saved_total", {"kind": "draft"}) == before + 1
