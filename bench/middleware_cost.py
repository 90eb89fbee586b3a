"""What each edge middleware and the access log cost per request, in process, no network.

    python -m bench.middleware_cost [--requests 20000] [--rounds 5]

Drives `GET /health` straight through the app's ASGI stack, as uvicorn would call it, for the
app as `trellis serve` builds it (health module only, access log on, metrics off as in
production), then for the same app without one middleware at a time, and a bare FastAPI hello:
the difference is that middleware's cost. Rounds are interleaved; the median is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from starlette.types import ASGIApp, Message

from bench.limits import hello
from core.app import create_app
from core.body import BodyLimitMiddleware
from core.head import HeadAsGetMiddleware
from core.input_sanity import InputSanityMiddleware
from core.middleware import RequestIdMiddleware
from core.observe import ObserveMiddleware
from core.plugins import PluginsConfig
from core.settings import Settings
from core.shedding import LoadSheddingMiddleware

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/health",
    "raw_path": b"/health",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}
WITHOUT: dict[str, type[Any] | None] = {
    "as served (access log on)": None,
    "without the access log": ObserveMiddleware,
    "without request id": RequestIdMiddleware,
    "without load shedding": LoadSheddingMiddleware,
    "without body limit": BodyLimitMiddleware,
    "without input sanity": InputSanityMiddleware,
    "without HEAD-as-GET": HeadAsGetMiddleware,
}


def trellis_app(var_dir: Path, without: type[Any] | None) -> ASGIApp:
    settings = Settings(
        _env_file=None,
        var_dir=var_dir,
        secret_key="bench-" * 8,
        access_log=True,
        metrics_enabled=False,
        log_level="INFO",
        shed_exempt_paths=[],  # so that the gate's cost is in: probes are exempt from it
    )
    app = create_app(settings, plugins=PluginsConfig(enabled=("health",)))
    kept = [m for m in app.user_middleware if without is None or m.cls is not without]  # type: ignore[comparison-overlap]
    app.user_middleware = kept
    return app


async def per_request(app: ASGIApp, requests: int) -> float:
    """Microseconds per request, sequentially, after a warm-up."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    for _ in range(200):
        await app(dict(SCOPE), receive, send)
    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    return (time.perf_counter() - started) / requests * 1e6


def quiet_logs(sink: TextIO) -> None:
    """The access lines are formatted and written, as in production, but to /dev/null."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


def build(var_dir: Path) -> dict[str, ASGIApp]:
    """Every variant, built with their start-up log lines sent to /dev/null."""
    sink = open(os.devnull, "w")  # noqa: SIM115 (written to for the life of the process)
    with contextlib.redirect_stderr(sink):
        apps = {label: trellis_app(var_dir, without) for label, without in WITHOUT.items()}
    quiet_logs(sink)
    return {**apps, "bare FastAPI hello": hello()}


async def run(apps: dict[str, ASGIApp], requests: int, rounds: int) -> list[str]:
    samples: dict[str, list[float]] = {label: [] for label in apps}
    for _ in range(rounds):
        for label, app in apps.items():
            samples[label].append(await per_request(app, requests))

    def median(label: str) -> float:
        return statistics.median(samples[label])

    full = median("as served (access log on)")
    lines = [f"GET /health in process, {requests} requests x {rounds} rounds (median):"]
    for label in apps:
        cost = full - median(label)
        note = "" if label.startswith("as served") else f"   saves {cost:>5.1f} µs"
        lines.append(f"{label:<30} {median(label):>7.1f} µs/request{note}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        apps = build(Path(folder))
        for line in asyncio.run(run(apps, args.requests, args.rounds)):
            print(line)


if __name__ == "__main__":
    main()
