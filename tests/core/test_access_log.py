"""The access log: one line per request with the fields an operator queries, JSON in production."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from core.access_log import ACCESS_LOGGER
from core.jsonlogs import JsonFormatter
from core.logs import FORMAT, configure_logging, json_logs
from core.settings import Settings
from core.testing import Backend, ClientFactory
from tests.support.processes import stop
from tests.support.served import trellis_serve

from .test_logs import bare_root

PASSWORD = "correct horse battery"
FAST_HASHING = {"users": {"bcrypt_rounds": 4}}
FIELDS = {"method", "route", "status", "duration_ms", "request_id", "user_id", "client"}


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS_LOGGER]


async def signed_in(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    """A new account's id and the headers of its bearer token."""
    created = await client.post(
        "/api/v1/users", json={"email": "ann@example.com", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    form = {"username": "ann@example.com", "password": PASSWORD}
    token = (await client.post("/api/v1/auth/token", data=form)).json()["access_token"]
    return created.json()["id"], {"Authorization": f"Bearer {token}"}


async def test_one_line_per_request_with_the_fields(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(["users", "auth"], FAST_HASHING) as client:
        user_id, auth = await signed_in(client)
        caplog.clear()
        caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
        response = await client.get(
            f"/api/v1/users/{user_id}", headers={**auth, "X-Request-ID": "req-42"}
        )
        assert response.status_code == 403, response.text  # for administrators only
        assert (await client.get("/no/such/page?token=abc")).status_code == 404

    found, missing = access_records(caplog)
    assert found.levelname == "INFO"
    assert {name: getattr(found, name) for name in FIELDS - {"duration_ms"}} == {
        "method": "GET",
        "route": "/api/v1/users/{user_id}",
        "status": 403,
        "request_id": "req-42",
        "user_id": user_id,
        "client": "127.0.0.1",
    }
    assert 0 <= found.duration_ms < 10_000
    assert found.getMessage().startswith("GET /api/v1/users/{user_id} 403 ")
    assert (missing.route, missing.status, missing.user_id) == ("unmatched", 404, None)
    assert "token=abc" not in missing.getMessage()  # the raw path and query never appear

    line = json.loads(JsonFormatter().format(found))
    assert line.keys() >= FIELDS
    assert line["logger"] == ACCESS_LOGGER
    assert line["request_id"] == "req-42"
    assert line["status"] == 403


async def test_the_access_log_switches_off(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    async with make_client(["health"], settings_override={"access_log": False}) as client:
        assert (await client.get("/health")).status_code == 200
    assert access_records(caplog) == []


def test_json_is_the_default_format_in_production_only() -> None:
    safe = {"secret_key": "k" * 32, "database_url": "postgresql://db/app"}
    production = Settings(_env_file=None, environment="production", **safe)  # type: ignore[arg-type]
    assert json_logs(production)
    assert not json_logs(production.model_copy(update={"log_format": "text"}))
    assert not json_logs(Settings(_env_file=None))
    assert json_logs(Settings(_env_file=None, log_format="json"))


def test_our_root_handler_takes_the_format_of_the_last_app() -> None:
    with bare_root() as root:
        configure_logging("info", json=True)
        [handler] = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        configure_logging("info")
        assert root.handlers == [handler]
        assert handler.formatter is not None
        assert handler.formatter._fmt == FORMAT


@pytest.mark.backends("postgres")  # production refuses the embedded database
def test_a_production_server_writes_json_lines(
    backend: Backend, settings: Settings, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    env = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": settings.database_url,
        "CACHE_PREFIX": settings.cache_prefix,
        **({"REDIS_URL": backend.redis_url} if backend.redis_url else {}),
    }
    with trellis_serve(tmp_path, 'enabled = ["health"]\n', env=env) as served:
        response = httpx.get(f"{served.url}/health", headers={"X-Request-ID": "prod-1"})
        assert response.status_code == 200
        stop(served.process)  # everything it logged is flushed
        output = served.output()

    lines = [json.loads(line) for line in output.splitlines()]  # every line, uvicorn's too
    [access] = [line for line in lines if line["request_id"] == "prod-1"]
    assert access["logger"] == ACCESS_LOGGER
    assert access["level"] == "INFO"
    assert access.keys() >= FIELDS
    assert (access["method"], access["route"], access["status"]) == ("GET", "/health", 200)
    assert (access["client"], access["user_id"]) == ("127.0.0.1", None)
    started = {"logger": "uvicorn.error", "message": "Application startup complete."}
    assert sum(started.items() <= line.items() for line in lines) == 1
