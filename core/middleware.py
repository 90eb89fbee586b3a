"""Request-edge middleware: request ids, body size limit, input sanity.

Pure ASGI classes rather than `BaseHTTPMiddleware`, which costs a task and a memory
stream per request. Every response they produce is problem+json.
"""

from __future__ import annotations

import json
import re
import uuid
from contextvars import ContextVar
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import problem_response

__all__ = [
    "BodyLimitMiddleware",
    "InputSanityMiddleware",
    "RequestIdMiddleware",
    "install_middleware",
    "request_id_var",
]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
# A JSON body can only smuggle NUL or a lone surrogate through a `\u0000` / `\ud8xx`-`\udfxx`
# escape, or as raw UTF-8-encoded surrogate bytes (json.loads decodes with surrogatepass).
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def install_middleware(app: FastAPI, *, max_body_bytes: int, cors_origins: list[str]) -> None:
    """Install the edge middleware, outermost first:

    RequestId -> CORS -> BodyLimit -> InputSanity -> (FastAPI's exception middleware, routes).

    RequestId is outermost so every response, including CORS preflights and the 413/422
    produced below it, carries X-Request-ID. CORS wraps the rejecting middleware so a
    browser can read their errors. BodyLimit sits above InputSanity, which buffers bodies.
    """
    # add_middleware prepends: add innermost first.
    app.add_middleware(InputSanityMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware)


class RequestIdMiddleware:
    """Give each request an id: the client's `X-Request-ID` when sane, else a new one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _client_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class _BodyTooLarge(HTTPException):
    """Raised from `receive`; FastAPI re-raises HTTPExceptions met while reading a body."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")


class BodyLimitMiddleware:
    """Reject bodies over `max_bytes` with 413, by Content-Length or by counting chunks."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _reject(_BodyTooLarge(self.max_bytes), scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge as exc:
            # Inside FastAPI's routes the exception handler already answered; this
            # catches reads made by middleware (InputSanity) or plain ASGI apps.
            if started:
                raise
            await _reject(exc, scope, receive, send)


class InputSanityMiddleware:
    """Reject NUL characters and lone surrogates in path, query, JSON or form bodies with 422.

    PostgreSQL refuses NUL in text (a 500 otherwise) and a lone surrogate cannot be encoded.
    The normal path costs a regex scan: JSON is parsed only when its raw bytes hold a
    suspicious escape; invalid JSON is passed on for FastAPI to report. Buffered bodies
    are replayed to the app unchanged; keep BodyLimitMiddleware outside this one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _check_path_and_query(scope)
        kind = _body_kind(_header(scope, b"content-type") or "")
        if where is None and kind is None:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        if where is None:
            body, messages = await _read_body(receive)
            where = _check_json(body) if kind == "json" else _check_form(body)
        if where is not None:
            await problem_response(
                422,
                detail=f"The {where[0]} contains {where[1]}, which is not allowed.",
                errors=[{"loc": where[2], "field": where[3], "message": where[1]}],
            )(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


# A finding: (where, what, loc, field), e.g. ("body field 'name'", "a NUL character", ...).
_Finding = tuple[str, str, list[str | int], str]


def _check_path_and_query(scope: Scope) -> _Finding | None:
    path: str = scope.get("path", "")
    if match := _BAD_CHAR.search(path):
        return "path", _what(match.group()), ["path"], "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return _find_in_pairs(query.decode("latin-1"), "query parameter", "query")
    return None


def _check_json(body: bytes) -> _Finding | None:
    # A NUL in the first bytes means UTF-16/32, where the byte pattern below cannot see.
    if not _SUSPECT_JSON.search(body) and b"\x00" not in body[:4]:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None  # FastAPI reports invalid JSON as a normal 422.
    stack: list[tuple[list[str | int], object]] = [([], data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if match := _BAD_CHAR.search(value):
                return _body_finding(loc, _what(match.group()))
        elif isinstance(value, dict):
            for key, item in value.items():
                if match := _BAD_CHAR.search(key):
                    return _body_finding(loc, _what(match.group()) + " in a key")
                stack.append(([*loc, key], item))
        elif isinstance(value, list):
            stack.extend(([*loc, index], item) for index, item in enumerate(value))
    return None


def _check_form(body: bytes) -> _Finding | None:
    if b"%00" not in body and b"\x00" not in body:
        return None
    return _find_in_pairs(body.decode("latin-1"), "form field", "body")


def _find_in_pairs(encoded: str, noun: str, source: str) -> _Finding:
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        if "\x00" in name:
            return f"a {noun} name", "a NUL character", [source], source
        if "\x00" in value:
            safe = _BAD_CHAR.sub("\ufffd", name)
            return f"{noun} '{safe}'", "a NUL character", [source, safe], safe
    return f"{noun} list", "a NUL character", [source], source


def _body_finding(loc: list[str | int], what: str) -> _Finding:
    field = ".".join(str(part) for part in loc)
    where = f"body field '{field}'" if loc else "body"
    return where, what, ["body", *loc], field or "body"


def _what(char: str) -> str:
    return "a NUL character" if char == "\x00" else "an unpaired UTF-16 surrogate"


def _body_kind(content_type: str) -> str | None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return "json"
    if media == "application/x-www-form-urlencoded":
        return "form"
    return None


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """Read the whole body; return it and the messages to replay (a disconnect as is)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", [message]
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            body = b"".join(chunks)
            return body, [{"type": "http.request", "body": body, "more_body": False}]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _client_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"x-request-id":
            return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None
    return None


async def _reject(exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(exc.status_code, detail=exc.detail, headers=exc.headers)
    await response(scope, receive, send)
