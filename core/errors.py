"""RFC 9457 problem+json for every error the API returns.

Modules raise `ProblemError` subclasses; `install_error_handlers` turns those, framework
HTTP errors, validation errors, outages and bugs into one body shape. Bodies never carry
submitted values, driver messages or tracebacks, and every string in them is made safe to
encode (a lone surrogate from the client must not turn a 422 into a 500).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc as sa_exc
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from core.cache import CacheUnavailable
from core.websocket_errors import WebSocketErrorMiddleware

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ProblemError",
    "ProblemResponse",
    "install_error_handlers",
    "problem_response",
    "status_title",
]

logger = logging.getLogger("trellis.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_SURROGATE = re.compile("[\ud800-\udfff]")
# RFC 9110's names where Python before 3.13 still gives RFC 7231's ("Unprocessable Entity"), so
# a problem's title depends on the status alone, not on the interpreter that built it.
_RFC_9110_TITLES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}
_UNAVAILABLE_DETAIL = "A backing service is temporarily unavailable. Please retry shortly."
_UNEXPECTED_DETAIL = "An unexpected error occurred."
_CONFLICT_DETAIL = "This conflicts with data that already exists."
_REFERENCED_DETAIL = "This cannot be deleted or changed while other data still refers to it."
# PostgreSQL's SQLSTATE, and SQLite's extended code and message, for a foreign key violation.
_FOREIGN_KEY_SQLSTATE = "23503"
_SQLITE_FOREIGN_KEY_CODE = "SQLITE_CONSTRAINT_FOREIGNKEY"
_SQLITE_FOREIGN_KEY_MESSAGE = "FOREIGN KEY constraint failed"
# SQLite names the failed constraint's columns (never the values) after the colon.
_SQLITE_CONSTRAINT = re.compile(r"[A-Z ]+ constraint failed: ([\w.]+(?:, [\w.]+)*)")
_INVALID_JSON = "The request body is not valid JSON."
_NOT_AN_OBJECT = "The request body must be a JSON object, sent as application/json."
_WHOLE_BODY = {
    "missing": "The request body is missing.",
    "model_attributes_type": _NOT_AN_OBJECT,
    "model_type": _NOT_AN_OBJECT,
    "dict_type": _NOT_AN_OBJECT,
}
# FastAPI's 400 when reading the body fails with anything but a JSONDecodeError (for JSON:
# bytes that are not UTF-8, nesting deeper than the recursion limit, a 5000-digit number).
_FASTAPI_BODY_ERROR = "There was an error parsing the body"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Local OS failures are bugs (500); any other OSError reaching us came from a network driver.
_LOCAL_OS_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    ChildProcessError,
    ProcessLookupError,
)


class ProblemError(Exception):
    """Base of every module's errors; subclasses set `status`, `title` and maybe `type`."""

    status: int = 400
    title: str = "Bad Request"
    type: str = "about:blank"

    def __init__(
        self, detail: str, *, headers: Mapping[str, str] | None = None, **extra: object
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra


class ProblemResponse(JSONResponse):
    """A JSON response with the problem media type."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str,
    type: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> ProblemResponse:
    """Build a problem+json response; `title` defaults to the status's `status_title`."""
    body: dict[str, Any] = {
        "type": type,
        "title": title or status_title(status),
        "status": status,
        "detail": detail,
        **jsonable_encoder(extra),
    }
    return ProblemResponse(_encodable(body), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the API can raise to problem+json."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    # Starlette picks the handler of the nearest class in the exception's MRO, so this one
    # wins over DBAPIError's for every IntegrityError, whatever the order of registration.
    app.add_exception_handler(sa_exc.IntegrityError, _on_integrity)
    app.add_exception_handler(sa_exc.DBAPIError, _on_dbapi)
    for unavailable in (sa_exc.TimeoutError, TimeoutError, CacheUnavailable):
        app.add_exception_handler(unavailable, _on_unavailable)
    app.add_exception_handler(OSError, _on_os_error)
    # Starlette runs the `Exception` handler in ServerErrorMiddleware, outside all user
    # middleware, so it sets X-Request-ID itself.
    app.add_exception_handler(Exception, _on_unexpected)
    # ...which covers HTTP only: a socket route's unhandled error is closed with 1011 here.
    app.add_middleware(WebSocketErrorMiddleware)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        title=exc.title,
        detail=exc.detail,
        type=exc.type,
        headers=exc.headers,
        **exc.extra,
    )


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code < 200 or exc.status_code in (204, 205, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 400 and exc.detail == _FASTAPI_BODY_ERROR and _sent_json(request):
        return _invalid_json(_unparsable_reason(exc.__cause__))
    headers = exc.headers
    if exc.status_code == 405:
        # Starlette names only the methods of the first route matching the path.
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    if isinstance(exc.detail, str):
        return problem_response(exc.status_code, detail=exc.detail, headers=headers)
    # FastAPI allows any JSON as `detail`; RFC 9457 wants a string there.
    return problem_response(
        exc.status_code, detail=status_title(exc.status_code), headers=headers, errors=exc.detail
    )


def _allowed_methods(request: Request) -> str:
    """Every method some route answers at this path, for a 405's Allow header."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        # Asked of each route (FastAPI nests included routers), as the router itself would.
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            # FastAPI puts the character offset in `loc`, which would read as "field: 17".
            ctx = err.get("ctx") or {}
            reason = str(ctx.get("error", "malformed JSON"))  # the parser's words, no input
            loc = err.get("loc", ())
            position = loc[1] if len(loc) > 1 else None
            return _invalid_json(
                f"{reason} at character {position}" if position is not None else reason
            )
    # Only loc, msg and type: `input` and `ctx` may hold the submitted password.
    errors = [
        {
            "loc": list(err.get("loc", ())),
            "field": _field(err.get("loc", ())),
            "message": str(err.get("msg", "Invalid value")),
            "type": str(err.get("type", "value_error")),
        }
        for err in exc.errors()
    ]
    # A problem with the body as a whole names no field; say what is wrong with it instead.
    for err in errors:
        if err["loc"] == ["body"] and err["type"] in _WHOLE_BODY:
            return problem_response(422, detail=_WHOLE_BODY[str(err["type"])], errors=errors)
    fields = list(dict.fromkeys(str(err["field"]) for err in errors))
    shown = ", ".join(fields[:5]) + (f" and {len(fields) - 5} more" if len(fields) > 5 else "")
    noun = "field" if len(fields) == 1 else "fields"
    return problem_response(422, detail=f"The request has invalid {noun}: {shown}.", errors=errors)


def _invalid_json(reason: str) -> Response:
    error = {"loc": ["body"], "field": "body", "message": reason, "type": "json_invalid"}
    return problem_response(422, detail=_INVALID_JSON, errors=[error])


def _sent_json(request: Request) -> bool:
    """Whether FastAPI parsed (or tried to parse) the body as JSON: JSON media type or none."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (
        media.startswith("application/") and media.endswith("+json")
    )


def _unparsable_reason(cause: BaseException | None) -> str:
    """What made `json.loads` fail with something other than a JSONDecodeError."""
    if isinstance(cause, UnicodeDecodeError):
        return "not valid UTF-8"
    if isinstance(cause, RecursionError):
        return "nested too deeply"
    return "cannot be parsed"


async def _on_dbapi(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, sa_exc.DBAPIError)
    if exc.connection_invalidated or isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError
    ):
        return await _on_unavailable(request, exc)
    return await _on_unexpected(request, exc)


async def _on_integrity(request: Request, exc: Exception) -> Response:
    """A constraint the database enforced: the request conflicts with stored data, a 409.

    Typically a row that another module's table still refers to, because that module is
    disabled and its clean-up (a `user_deleted` subscriber) no longer runs. It reaches here
    from a flush in the handler or from the commit when the session dependency exits; either
    way the transaction is already rolled back. The log names the table and constraint where
    the driver gives them; the values (in the driver's message and the SQL) stay out of both.
    """
    assert isinstance(exc, sa_exc.IntegrityError)
    request_id = _request_id(request)
    foreign_key = _is_foreign_key(exc.orig)
    logger.warning(
        "%s on %s %r (%s) request_id=%s",
        "foreign key violation" if foreign_key else "integrity error",
        _method(request),
        request.url.path,
        _constraint_of(exc.orig),
        request_id,
    )
    return problem_response(
        409,
        detail=_REFERENCED_DETAIL if foreign_key else _CONFLICT_DETAIL,
        request_id=request_id,
    )


def _is_foreign_key(orig: BaseException | None) -> bool:
    if getattr(orig, "sqlstate", None) == _FOREIGN_KEY_SQLSTATE:
        return True
    return getattr(orig, "sqlite_errorname", None) == _SQLITE_FOREIGN_KEY_CODE or (
        str(orig).strip() == _SQLITE_FOREIGN_KEY_MESSAGE
    )


def _constraint_of(orig: BaseException | None) -> str:
    """`sqlstate=23503 table=notes_note constraint=notes_note_owner_id_fkey`, as far as known."""
    diag = getattr(orig, "diag", None)  # PostgreSQL (psycopg)
    found = {
        "sqlstate": getattr(orig, "sqlstate", None),
        "table": getattr(diag, "table_name", None),
        "constraint": getattr(diag, "constraint_name", None),
    }
    if found["constraint"] is None and (match := _SQLITE_CONSTRAINT.fullmatch(str(orig))):
        found["constraint"] = match.group(1)
    described = " ".join(f"{key}={value}" for key, value in found.items() if value)
    return described or "no constraint named"


async def _on_os_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, _LOCAL_OS_ERRORS):
        return await _on_unexpected(request, exc)
    return await _on_unavailable(request, exc)


async def _on_unavailable(request: Request, exc: Exception) -> Response:
    request_id = _request_id(request)
    logger.warning(
        "backing service unavailable (%s: %s) request_id=%s",
        type(exc).__name__,
        exc,
        request_id,
    )
    return problem_response(
        503,
        detail=_UNAVAILABLE_DETAIL,
        headers={"Retry-After": "5"},
        request_id=request_id,
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    request_id = _request_id(request)
    logger.error(
        "unhandled error on %s %r request_id=%s",
        _method(request),
        request.url.path,
        request_id,
        exc_info=exc,
    )
    return problem_response(
        500,
        detail=_UNEXPECTED_DETAIL,
        headers={"X-Request-ID": request_id},
        request_id=request_id,
    )


def _method(request: Request) -> str:
    """The request's method; a WebSocket handshake (which has none) reads `WEBSOCKET`."""
    method: str = request.scope.get("method", "WEBSOCKET")
    return method


def _request_id(request: Request) -> str:
    """The id RequestIdMiddleware stored, or a fresh one so logs and client still match."""
    state = request.scope.setdefault("state", {})
    request_id = state.get("request_id")
    if not isinstance(request_id, str):
        request_id = state["request_id"] = uuid.uuid4().hex
    return request_id


def _field(loc: object) -> str:
    """`("body", "address", "city")` -> `"address.city"`; the source prefix only adds noise."""
    parts = [str(part) for part in loc] if isinstance(loc, list | tuple) else [str(loc)]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts)


def status_title(status: int) -> str:
    """The title of a problem with type `about:blank`: the status's name in RFC 9110."""
    if status in _RFC_9110_TITLES:
        return _RFC_9110_TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _encodable(value: object) -> object:
    """Replace lone surrogates so the body always encodes to UTF-8."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value
