"""Graceful shutdown of a real server: SIGTERM lets in-flight requests finish, readiness first.

A test-only module (`acme-slow`, installed the way pip would) provides a slow route.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.served import Served, trellis_serve

HEALTH_AND_SLOW = 'enabled = ["health", "slow"]\n'


def in_flight(url: str) -> float:
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("trellis_http_requests_in_flight "):
            return float(line.split()[1])
    raise AssertionError("no in-flight gauge")


def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def slow_request(
    pool: ThreadPoolExecutor, served: Served, seconds: float
) -> Future[httpx.Response]:
    """Start a slow request and return once the server is working on it."""
    pending = pool.submit(
        httpx.get, f"{served.url}/api/v1/slow", params={"seconds": seconds}, timeout=30
    )
    eventually(lambda: in_flight(served.url) == 1)
    return pending


def refuses_connections(url: str) -> bool:
    try:
        httpx.get(f"{url}/health", timeout=1)
    except httpx.TransportError:
        return True
    return False


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    with trellis_serve(tmp_path, HEALTH_AND_SLOW) as served, ThreadPoolExecutor() as pool:
        pending = slow_request(pool, served, seconds=2)
        served.process.send_signal(signal.SIGTERM)

        eventually(lambda: refuses_connections(served.url))  # no new work is accepted
        assert pending.result().status_code == 200
        served.process.wait(timeout=10)

    output = served.output()
    finished = output.index("GET /api/v1/slow 200")
    assert finished < output.index("Application shutdown complete.")  # pools close after


def test_readiness_fails_while_draining_and_requests_are_still_served(tmp_path: Path) -> None:
    env = {"SHUTDOWN_DRAIN": "1.5"}
    with trellis_serve(tmp_path, HEALTH_AND_SLOW, env=env) as served, ThreadPoolExecutor() as pool:
        assert httpx.get(f"{served.url}/health/ready").status_code == 200
        pending = slow_request(pool, served, seconds=2.5)
        served.process.send_signal(signal.SIGTERM)

        ready = httpx.get(f"{served.url}/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["shutdown"]["status"] == "error"
        assert httpx.get(f"{served.url}/health").status_code == 200  # still serving
        eventually(lambda: refuses_connections(served.url))  # then the drain ends
        assert pending.result().status_code == 200
        served.process.wait(timeout=10)
    assert "SIGTERM: readiness fails from now; stopping in 1.5s" in served.output()


def test_requests_get_at_most_the_shutdown_timeout(tmp_path: Path) -> None:
    env = {"SHUTDOWN_TIMEOUT": "1"}
    with trellis_serve(tmp_path, HEALTH_AND_SLOW, env=env) as served, ThreadPoolExecutor() as pool:
        pending = slow_request(pool, served, seconds=20)
        sent = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=10)
        assert time.monotonic() - sent < 5
        try:
            status = pending.result().status_code
        except httpx.TransportError:
            status = None  # cut off: the connection closed without an answer
        assert status != 200
    assert "Application shutdown complete." in served.output()
