"""Every login the service decides is counted by outcome; /metrics shows the counts."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .support import login, signed_up


async def attempts(client: httpx.AsyncClient) -> dict[str, float]:
    scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(scrape.text)
        if family.name == "trellis_login_attempts"
        for sample in family.samples
        if sample.name == "trellis_login_attempts_total"
    }


async def test_logins_are_counted_by_outcome(client: httpx.AsyncClient) -> None:
    before = await attempts(client)
    await signed_up(client, "counted@example.com")
    assert (await login(client, "counted@example.com", "not the password")).status_code == 401
    after = await attempts(client)
    assert after.get("success", 0) - before.get("success", 0) == 1
    assert after.get("rejected", 0) - before.get("rejected", 0) == 1
