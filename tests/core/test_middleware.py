"""Request ids, body limit, input sanity and CORS at the request edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Form, Request
from pydantic import BaseModel
from starlette.types import Message, Receive, Scope, Send

from core.errors import install_error_handlers
from core.middleware import (
    RequestIdMiddleware,
    install_middleware,
    request_id_var,
)
from core.testing import running

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}
LIMIT = 1_000
ORIGIN = "https://app.example.com"


class Signup(BaseModel):
    name: str
    password: str


def build_app() -> FastAPI:
    app = FastAPI()

    @app.post("/signup")
    async def signup(body: Signup) -> dict[str, str]:
        return {"name": body.name}

    @app.post("/form")
    async def form(name: Annotated[str, Form()]) -> dict[str, str]:
        return {"name": name}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/items/{item}")
    async def item(item: str, q: str = "") -> dict[str, str]:
        return {"item": item, "q": q}

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, str]:
        return {"state": request.state.request_id, "var": request_id_var.get()}

    install_error_handlers(app)
    install_middleware(app, max_body_bytes=LIMIT, cors_origins=[ORIGIN])
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with running(build_app()) as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"]
    body: dict[str, object] = response.json()
    return body


# --- request id -------------------------------------------------------------------------


async def test_sane_request_id_is_echoed_and_shared(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers={"X-Request-ID": "abc-123:x.y_z"})
    assert response.headers["x-request-id"] == "abc-123:x.y_z"
    assert response.json() == {"state": "abc-123:x.y_z", "var": "abc-123:x.y_z"}


async def test_missing_request_id_is_generated(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")
    generated = response.headers["x-request-id"]
    assert len(generated) == 32
    assert response.json()["state"] == generated


@pytest.mark.parametrize("bad", [b"a" * 129, b"x" * 300, b"has space", b"line\nbreak", b"abc\n"])
async def test_insane_request_id_is_replaced(bad: bytes) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope: Scope = {"type": "http", "headers": [(b"x-request-id", bad)]}
    await RequestIdMiddleware(app)(scope, receive, send)
    headers = dict(sent[0]["headers"])
    assert headers[b"x-request-id"] != bad
    assert len(headers[b"x-request-id"]) == 32
    assert scope["state"]["request_id"] == headers[b"x-request-id"].decode()


# --- input sanity -------------------------------------------------------------------------


async def test_nul_in_json_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/signup", json={"name": "a\x00b", "password": "pw"})
    body = assert_problem(response, 422)
    assert body["detail"] == "The body field 'name' contains a NUL character, which is not allowed."
    assert body["errors"] == [
        {"loc": ["body", "name"], "field": "name", "message": "a NUL character"}
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\\ud800", "password": "pw"}',
        b'{"name": "\\uDFFF", "password": "pw"}',
        b'{"name": "x", "password": "pw", "extra": ["\\udc00\\ud800"]}',
        b'{"name": "\xed\xa0\x80", "password": "pw"}',  # raw UTF-8-encoded surrogate
    ],
)
async def test_lone_surrogate_in_json_is_422(client: httpx.AsyncClient, raw: bytes) -> None:
    body = assert_problem(await client.post("/signup", content=raw, headers=JSON), 422)
    assert "unpaired UTF-16 surrogate" in str(body["detail"])


async def test_nul_in_json_key_is_422(client: httpx.AsyncClient) -> None:
    raw = b'{"name": "x", "password": "pw", "meta": {"k\\u0000": 1}}'
    body = assert_problem(await client.post("/signup", content=raw, headers=JSON), 422)
    assert body["detail"] == (
        "The body field 'meta' contains a NUL character in a key, which is not allowed."
    )


async def test_escaped_backslash_u0000_passes_unchanged(client: httpx.AsyncClient) -> None:
    raw = b'{"name": "C:\\\\u0000 and \\u00e9 \\ud83d\\ude00", "password": "pw"}'
    response = await client.post("/signup", content=raw, headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"name": "C:\\u0000 and \u00e9 \U0001f600"}


async def test_invalid_json_is_left_to_fastapi(client: httpx.AsyncClient) -> None:
    raw = b'{"name": "\\u0000'
    body = assert_problem(await client.post("/signup", content=raw, headers=JSON), 422)
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]


async def test_nul_in_query_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items/x", params={"q": "a\x00b"}), 422)
    assert "query parameter 'q'" in str(body["detail"])


async def test_nul_in_path_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items/a%00b"), 422)
    assert body["detail"] == "The path contains a NUL character, which is not allowed."


async def test_nul_in_form_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/form", data={"name": "a\x00b"}), 422)
    assert "form field 'name'" in str(body["detail"])


async def test_clean_requests_pass(client: httpx.AsyncClient) -> None:
    assert (await client.post("/form", data={"name": "a%00b"})).json() == {"name": "a%00b"}
    assert (await client.get("/items/x", params={"q": "%2500"})).json()["q"] == "%2500"


# --- body limit --------------------------------------------------------------------------


async def test_content_length_over_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", content=b"x" * (LIMIT + 1))
    body = assert_problem(response, 413)
    assert body["detail"] == f"The request body is larger than {LIMIT} bytes."


async def chunks(count: int, size: int = 100) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/raw", "application/octet-stream"), ("/signup", "application/json")],
    ids=["read-by-route", "read-by-input-sanity"],
)
async def test_streamed_body_over_limit_is_413(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.post(path, content=chunks(11), headers={"content-type": content_type})
    body = assert_problem(response, 413)
    assert body["detail"] == f"The request body is larger than {LIMIT} bytes."


async def test_streamed_body_within_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", content=chunks(10))
    assert response.json() == {"size": LIMIT}


# --- CORS ---------------------------------------------------------------------------------


async def test_cors_preflight_for_configured_origin(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/signup",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["x-request-id"]


async def test_cors_headers_on_middleware_errors(client: httpx.AsyncClient) -> None:
    response = await client.get("/items/a%00b", headers={"Origin": ORIGIN})
    assert_problem(response, 422)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
