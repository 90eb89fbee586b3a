"""problem+json for framework errors, module errors, outages and bugs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated

import httpx
import pytest
import sqlalchemy.exc as sa_exc
from fastapi import FastAPI, Form, HTTPException
from pydantic import BaseModel, Field

from core.cache import CacheUnavailable
from core.errors import ProblemError, install_error_handlers, problem_response
from core.middleware import install_middleware
from core.testing import running

PROBLEM = "application/problem+json"
NOT_AN_OBJECT = "The request body must be a JSON object, sent as application/json."
DRIVER_SECRET = "password authentication failed for user trellis at db.internal:5432"


class Signup(BaseModel):
    name: str
    password: str = Field(min_length=12)
    tags: dict[str, int] = Field(default_factory=dict)


class FakePgError(Exception):
    """What psycopg raises: an SQLSTATE and diagnostics; its message carries the values."""

    def __init__(self, sqlstate: str, table: str, constraint: str) -> None:
        super().__init__(f"Key (id)=({DRIVER_SECRET}) is still referenced")
        self.sqlstate = sqlstate
        self.diag = SimpleNamespace(table_name=table, constraint_name=constraint)


class EmailTaken(ProblemError):
    status = 409
    title = "Email already registered"
    type = "https://trellis.dev/problems/email-taken"


def build_app(*, with_middleware: bool = True) -> FastAPI:
    app = FastAPI()

    @app.post("/signup")
    async def signup(body: Signup) -> dict[str, str]:
        return {"name": body.name}

    @app.post("/form")
    async def form(name: Annotated[str, Form()]) -> dict[str, str]:
        return {"name": name}

    @app.get("/form")
    async def form_page() -> dict[str, str]:
        return {}

    @app.get("/taken")
    async def taken() -> None:
        raise EmailTaken("a@example.com is taken", headers={"X-Hint": "login"}, email="a@b.c")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals at /srv/trellis/app.py")

    @app.get("/db-down")
    async def db_down() -> None:
        raise sa_exc.OperationalError("SELECT 1", {}, Exception(DRIVER_SECRET))

    @app.get("/raise/{kind}")
    async def raise_kind(kind: str) -> None:
        raise _EXCEPTIONS[kind]

    @app.get("/private")
    async def private() -> None:
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/structured")
    async def structured() -> None:
        raise HTTPException(409, detail={"code": "duplicate"})

    install_error_handlers(app)
    if with_middleware:
        install_middleware(app, max_body_bytes=10_000, cors_origins=[])
    return app


_EXCEPTIONS: dict[str, Exception] = {
    "cache": CacheUnavailable(f"redis: {DRIVER_SECRET}"),
    "timeout": TimeoutError(DRIVER_SECRET),
    "refused": ConnectionRefusedError(111, DRIVER_SECRET),
    "os": OSError(f"Multiple exceptions: {DRIVER_SECRET}"),
    "pool": sa_exc.TimeoutError(DRIVER_SECRET),
    "interface": sa_exc.InterfaceError("SELECT 1", {}, Exception(DRIVER_SECRET)),
    "invalidated": sa_exc.DBAPIError(
        "SELECT 1", {}, Exception(DRIVER_SECRET), connection_invalidated=True
    ),
    "file": FileNotFoundError(DRIVER_SECRET),
    "integrity": sa_exc.IntegrityError("INSERT", {"email": "a@b.c"}, Exception(DRIVER_SECRET)),
    "postgres-unique": sa_exc.IntegrityError(
        "INSERT", {}, FakePgError("23505", "users_user", "ix_users_user_email")
    ),
    "postgres-foreign-key": sa_exc.IntegrityError(
        "DELETE", {}, FakePgError("23503", "notes_note", "notes_note_owner_id_fkey")
    ),
    "sqlite-foreign-key": sa_exc.IntegrityError(
        "DELETE", {}, Exception("FOREIGN KEY constraint failed")
    ),
    "sqlite-unique": sa_exc.IntegrityError(
        "INSERT", {}, Exception("UNIQUE constraint failed: users_user.email")
    ),
}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with running(build_app()) as client:
        yield client


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Not Found",
    }
    assert response.headers["x-request-id"]


async def test_wrong_method_keeps_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/taken")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "GET"


async def test_wrong_method_allow_names_every_route_at_the_path(
    client: httpx.AsyncClient,
) -> None:
    # POST /form and GET /form are two routes; Starlette's Allow named only the first.
    response = await client.put("/form")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == PROBLEM


async def test_http_exception_keeps_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/private")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Not authenticated"


async def test_non_string_detail_moves_to_errors(client: httpx.AsyncClient) -> None:
    response = await client.get("/structured")
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "Conflict",
        "errors": {"code": "duplicate"},
    }


async def test_validation_lists_fields_without_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/signup", json={"password": "hunter2-pw"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "hunter2-pw" not in response.text
    assert body["detail"] == "The request has invalid fields: name, password."
    assert [(e["field"], e["type"]) for e in body["errors"]] == [
        ("name", "missing"),
        ("password", "string_too_short"),
    ]
    assert body["errors"][0]["loc"] == ["body", "name"]
    assert all(set(e) == {"loc", "field", "message", "type"} for e in body["errors"])


async def test_invalid_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/signup", content=b'{"name": "x",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    # Not "invalid field: 13": FastAPI puts the character offset where a field name goes.
    assert body["detail"] == "The request body is not valid JSON."
    assert body["errors"] == [
        {
            "loc": ["body"],
            "field": "body",
            "message": "Expecting property name enclosed in double quotes at character 13",
            "type": "json_invalid",
        }
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"name": "caf\xe9", "password": "x"}', "not valid UTF-8"),
        (b"[" * 4000 + b"]" * 4000, "nested too deeply"),
        (b'{"name": ' + b"9" * 5000 + b"}", "cannot be parsed"),
    ],
)
async def test_unparsable_json_is_422_not_a_vague_400(
    client: httpx.AsyncClient, raw: bytes, reason: str
) -> None:
    # FastAPI answers these with a bare 400 "There was an error parsing the body".
    response = await client.post(
        "/signup", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["detail"] == "The request body is not valid JSON."
    assert body["errors"][0]["message"] == reason


@pytest.mark.parametrize(
    ("raw", "content_type", "detail"),
    [
        (b"[]", "application/json", NOT_AN_OBJECT),
        (b"123", "application/json", NOT_AN_OBJECT),
        (b'{"name": "x", "password": "long enough pw"}', "text/plain", NOT_AN_OBJECT),
        (b"", "application/json", "The request body is missing."),
    ],
)
async def test_body_that_is_not_an_object_says_so(
    client: httpx.AsyncClient, raw: bytes, content_type: str, detail: str
) -> None:
    response = await client.post("/signup", content=raw, headers={"content-type": content_type})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == detail
    assert body["errors"][0]["field"] == "body"


async def test_broken_multipart_keeps_its_own_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/form", content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Missing boundary in multipart."


async def test_lone_surrogate_reaching_the_handler_still_encodes() -> None:
    # Without InputSanityMiddleware the surrogate reaches validation; FastAPI's own
    # handler echoes it as `input` and fails to encode (a 500).
    async with running(build_app(with_middleware=False)) as client:
        response = await client.post(
            "/signup",
            content=b'{"name": "x", "password": "\\ud800", "tags": {"\\udc00": "x"}}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]][:1] == ["password"]


async def test_problem_error_subclass(client: httpx.AsyncClient) -> None:
    response = await client.get("/taken")
    assert response.status_code == 409
    assert response.headers["x-hint"] == "login"
    assert response.json() == {
        "type": "https://trellis.dev/problems/email-taken",
        "title": "Email already registered",
        "status": 409,
        "detail": "a@example.com is taken",
        "email": "a@b.c",
    }


async def test_unexpected_error_is_opaque_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="trellis.errors"):
        response = await client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"] == "req-42"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "request_id": "req-42",
    }
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "req-42" in caplog.text
    assert "secret internals" in caplog.text  # the traceback stays server-side


async def test_database_down_is_503_without_driver_message(client: httpx.AsyncClient) -> None:
    response = await client.get("/db-down")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["title"] == "Service Unavailable"
    assert "password" not in response.text
    assert "db.internal" not in response.text


@pytest.mark.parametrize(
    "kind", ["cache", "timeout", "refused", "os", "pool", "interface", "invalidated"]
)
async def test_outages_are_503(client: httpx.AsyncClient, kind: str) -> None:
    response = await client.get(f"/raise/{kind}")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "db.internal" not in response.text


@pytest.mark.parametrize(
    ("kind", "detail", "logged"),
    [
        ("integrity", "This conflicts with data that already exists.", "no constraint named"),
        (
            "postgres-unique",
            "This conflicts with data that already exists.",
            "sqlstate=23505 table=users_user constraint=ix_users_user_email",
        ),
        (
            "postgres-foreign-key",
            "This cannot be deleted or changed while other data still refers to it.",
            "sqlstate=23503 table=notes_note constraint=notes_note_owner_id_fkey",
        ),
        (
            "sqlite-foreign-key",
            "This cannot be deleted or changed while other data still refers to it.",
            "no constraint named",
        ),
        (
            "sqlite-unique",
            "This conflicts with data that already exists.",
            "constraint=users_user.email",
        ),
    ],
)
async def test_integrity_error_is_409_naming_the_constraint_only_in_the_log(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    detail: str,
    logged: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="trellis.errors"):
        response = await client.get(f"/raise/{kind}", headers={"X-Request-ID": "req-409"})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": detail,
        "request_id": "req-409",
    }
    [record] = [r for r in caplog.records if r.name == "trellis.errors"]
    assert record.levelno == logging.WARNING
    assert f"({logged}) request_id=req-409" in record.getMessage()
    for leaked in (DRIVER_SECRET, "a@b.c", "INSERT", "DELETE"):
        assert leaked not in response.text
        assert leaked not in caplog.text


@pytest.mark.parametrize("kind", ["file"])
async def test_other_failures_are_500(client: httpx.AsyncClient, kind: str) -> None:
    response = await client.get(f"/raise/{kind}")
    assert response.status_code == 500
    assert response.json()["detail"] == "An unexpected error occurred."
    assert "db.internal" not in response.text


def test_problem_response_defaults_title_and_sanitizes() -> None:
    response = problem_response(418, detail="bad \ud800 tea", hint="\udfff")
    assert response.media_type == PROBLEM
    assert bytes(response.body).decode() == (
        '{"type":"about:blank","title":"I\'m a Teapot","status":418,'
        '"detail":"bad \ufffd tea","hint":"\ufffd"}'
    )
