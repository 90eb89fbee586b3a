"""Metrics of several uvicorn workers add up, whichever worker answers the scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import multiprocess
from tests.support.served import trellis_serve

BLOCKING = "/api/v1/slow/blocking"
SLOW_ONLY = 'enabled = ["slow"]\n'
# Limits stay off: two workers without Redis would each count their own.
NO_LIMITS = {"TRELLIS_RATE_LIMIT_DISABLED": "1"}


def blocking_requests_counted(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "trellis_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": BLOCKING,
                "status": "200",
            }:
                return sample.value
    return 0.0


def serve_workers_pids(url: str, rounds: int) -> list[int]:
    """Requests that each hold their worker's event loop, so the other worker takes the next."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.get(f"{url}{BLOCKING}", params={"seconds": 0.2}, timeout=10),
                range(rounds),
            )
        )
    assert all(answer.status_code == 200 for answer in answers)
    return [answer.json()["pid"] for answer in answers]


def test_two_workers_counts_add_up(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    stale_from_an_earlier_run(folder)
    env = {**NO_LIMITS, multiprocess.ENV: str(folder)}
    with trellis_serve(tmp_path, SLOW_ONLY, env=env, args=["--workers", "2"]) as served:
        pids: list[int] = []
        for _ in range(5):  # the kernel hands connections out: retry until both took some
            pids += serve_workers_pids(served.url, rounds=8)
            if len(set(pids)) == 2:
                break
        assert len(set(pids)) == 2, pids
        # Each scrape is answered by one worker, and counts both workers' requests.
        assert {blocking_requests_counted(served.url) for _ in range(6)} == {len(pids)}


def stale_from_an_earlier_run(folder: Path) -> None:
    """Files a previous server left: counts that must not reach this one's scrapes."""
    script = (
        "from core.metrics.standard import HTTP_REQUESTS\n"
        f"HTTP_REQUESTS.labels('GET', '{BLOCKING}', '200').inc(1000)\n"
    )
    env = {**os.environ, multiprocess.ENV: str(folder)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True)  # noqa: S603
    assert list(folder.glob("counter_*.db"))


def test_serve_makes_a_directory_for_several_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(multiprocess.ENV, raising=False)
    assert multiprocess.prepare(workers=1) is None
    assert multiprocess.ENV not in os.environ  # one worker: plain in-process metrics

    made = multiprocess.prepare(workers=2)
    try:
        assert made is not None
        assert os.environ[multiprocess.ENV] == str(made)  # the workers inherit it
        assert list(made.iterdir()) == []
    finally:
        del os.environ[multiprocess.ENV]  # what `trellis serve` does once the server stops
        if made is not None:
            made.rmdir()


def test_serve_clears_the_operators_directory_but_its_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(multiprocess.ENV, str(tmp_path))
    stale = tmp_path / "counter_999999.db"
    own = tmp_path / f"gauge_livesum_{os.getpid()}.db"
    for path in (stale, own):
        path.write_bytes(b"")
    assert multiprocess.prepare(workers=1) is None  # not ours to remove later
    assert not stale.exists()
    assert own.exists()  # opened at import; with one worker, this process serves
