"""Load shedding: a bounded number of requests in flight, a bounded wait, a 503 that says so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from core.settings import Settings
from core.shedding import Gate, LoadSheddingMiddleware, time_queued


async def test_the_gate_admits_up_to_its_limit_then_makes_others_wait() -> None:
    gate = Gate(limit=2, max_wait=1.0)
    assert await gate.enter()
    assert await gate.enter()
    third = asyncio.create_task(gate.enter())
    await asyncio.sleep(0.01)
    assert not third.done()
    assert gate.waiting == 1
    gate.leave()  # the slot goes straight to the waiter
    assert await third
    assert (gate.in_flight, gate.waiting) == (2, 0)


async def test_waiters_are_admitted_in_arrival_order() -> None:
    gate = Gate(limit=1, max_wait=1.0)
    assert await gate.enter()
    admitted: list[int] = []

    async def wait(number: int) -> None:
        assert await gate.enter()
        admitted.append(number)

    waiters = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0.01)
    for _ in range(3):
        gate.leave()
        await asyncio.sleep(0.01)
    await asyncio.gather(*waiters)
    assert admitted == [0, 1, 2]


async def test_a_wait_past_the_bound_is_refused_and_leaves_the_queue() -> None:
    gate = Gate(limit=1, max_wait=0.05)
    assert await gate.enter()
    assert not await gate.enter()
    assert gate.waiting == 0
    gate.leave()
    assert gate.in_flight == 0
    assert await gate.enter()  # a timed-out waiter never holds up the next request


async def test_without_a_wait_a_full_gate_refuses_at_once() -> None:
    gate = Gate(limit=1, max_wait=0)
    assert await gate.enter()
    assert not await gate.enter()


async def test_a_waiter_cancelled_after_being_handed_a_slot_passes_it_on() -> None:
    gate = Gate(limit=1, max_wait=1.0)
    assert await gate.enter()
    first = asyncio.create_task(gate.enter())
    second = asyncio.create_task(gate.enter())
    await asyncio.sleep(0.01)
    gate.leave()  # handed to `first`...
    first.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second
    assert gate.in_flight == 1


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Gate(limit=0, max_wait=1.0)


class HeldApp:
    """An ASGI app whose requests stay in flight until `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})


@pytest.fixture
async def held() -> AsyncIterator[tuple[HeldApp, httpx.AsyncClient]]:
    app = HeldApp()
    edge = LoadSheddingMiddleware(app, max_in_flight=2, max_wait=0.05, exempt={"/health"})
    transport = httpx.ASGITransport(app=edge)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield app, client


async def test_a_request_beyond_the_limit_gets_a_problem_with_retry_after(
    held: tuple[HeldApp, httpx.AsyncClient],
) -> None:
    app, client = held
    running = [asyncio.create_task(client.get("/work")) for _ in range(2)]
    await asyncio.sleep(0.01)
    refused = await client.get("/work")
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["status"] == 503
    assert app.entered == 2  # the refused request never reached the app
    app.release.set()
    assert [r.status_code for r in await asyncio.gather(*running)] == [200, 200]
    assert (await client.get("/work")).status_code == 200  # the slots were given back


async def test_probes_are_neither_counted_nor_refused(
    held: tuple[HeldApp, httpx.AsyncClient],
) -> None:
    app, client = held
    running = [asyncio.create_task(client.get("/work")) for _ in range(2)]
    await asyncio.sleep(0.01)
    probe = asyncio.create_task(client.get("/health"))
    await asyncio.sleep(0.01)
    assert app.entered == 3  # the probe is in, past a full gate
    app.release.set()
    assert (await probe).status_code == 200
    await asyncio.gather(*running)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def clocked_edge(
    app: HeldApp, clock: Clock, *, max_in_flight: int, max_wait: float = 60.0
) -> AsyncIterator[tuple[LoadSheddingMiddleware, httpx.AsyncClient]]:
    """The gate in front of `app`, its clock (not its timers) moved by the test."""
    edge = LoadSheddingMiddleware(app, max_in_flight=max_in_flight, max_wait=max_wait, clock=clock)
    transport = httpx.ASGITransport(app=edge)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield edge, client


async def test_a_full_gate_whose_holders_overran_the_wait_refuses_without_queueing() -> None:
    app, clock = HeldApp(), Clock()
    async with clocked_edge(app, clock, max_in_flight=2, max_wait=0.2) as (edge, client):
        running = [asyncio.create_task(client.get("/work")) for _ in range(2)]
        await asyncio.sleep(0.01)
        clock.now += 1  # the holders have run longer than a waiter may wait
        loop = asyncio.get_running_loop()
        started = loop.time()
        refusal = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.05)
        assert edge.gate.waiting == 0  # not in the queue: no slot will be handed to it
        app.release.set()  # slots come free while it pauses; it is refused all the same
        refused = await asyncio.wait_for(refusal, timeout=10)
        # Paced: answered when a waiter would have been, not at once, so a client retrying
        # at once cannot make the worker answer refusals all day.
        assert loop.time() - started >= 0.2
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert app.entered == 2
        assert [r.status_code for r in await asyncio.gather(*running)] == [200, 200]
        assert (await client.get("/work")).status_code == 200  # holders' times are forgotten


async def test_a_full_gate_with_young_holders_still_queues() -> None:
    app, clock = HeldApp(), Clock()
    async with clocked_edge(app, clock, max_in_flight=1) as (edge, client):
        running = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.01)
        clock.now += 59
        queued = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.01)
        assert edge.gate.waiting == 1
        app.release.set()
        assert [(await running).status_code, (await queued).status_code] == [200, 200]


class QueueReporter(HeldApp):
    """Held like `HeldApp`; answers with how long each request queued for its slot."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        queued = time_queued()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(queued).encode()})


async def test_a_request_knows_how_long_it_queued_for_its_slot() -> None:
    app, clock = QueueReporter(), Clock()
    async with clocked_edge(app, clock, max_in_flight=1) as (_, client):
        first = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.01)
        clock.now += 0.75  # the first holds the only slot this long
        app.release.set()
        assert float((await first).text) == 0.0
        assert float((await second).text) == 0.75
    assert time_queued() == 0.0  # nothing outside a request


def test_the_settings_default_to_a_limit_and_exempt_the_probes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None)
    assert (settings.max_in_flight, settings.in_flight_wait) == (64, 0.5)
    assert settings.shed_exempt_paths == ["/health", "/health/ready", "/metrics"]
    monkeypatch.setenv("SHED_EXEMPT_PATHS", "/livez, /readyz")
    monkeypatch.setenv("MAX_IN_FLIGHT", "0")
    settings = Settings(_env_file=None)
    assert settings.shed_exempt_paths == ["/livez", "/readyz"]
    assert settings.max_in_flight == 0


def test_pool_sizes_follow_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    one = Settings(_env_file=None)
    assert (one.web_concurrency, one.pool_size, one.pool_overflow) == (1, 20, 0)
    monkeypatch.setenv("WEB_CONCURRENCY", "4")  # what `trellis serve --workers 4` sets
    four = Settings(_env_file=None)
    assert (four.pool_size, four.pool_overflow) == (5, 0)  # 4 x 5 = DB_MAX_CONNECTIONS
    many = Settings(_env_file=None, web_concurrency=16)
    assert many.pool_size == 2  # never below two
    explicit = Settings(_env_file=None, db_pool_size=3, db_max_overflow=1, web_concurrency=4)
    assert (explicit.pool_size, explicit.pool_overflow) == (3, 1)
