"""Input sanity at the request edge: NUL characters and lone surrogates are refused with 422.

A pure ASGI middleware like the rest of the edge (`core.middleware` installs it); its
responses are problem+json.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.asgi import header
from core.errors import problem_response

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
# A JSON body can only smuggle NUL or a lone surrogate through a `\u0000` / `\ud8xx`-`\udfxx`
# escape, or as raw UTF-8-encoded surrogate bytes (json.loads decodes with surrogatepass).
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


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
        kind = _body_kind(header(scope, b"content-type") or "")
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
