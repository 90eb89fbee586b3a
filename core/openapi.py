"""The OpenAPI document tells the truth about errors: every one is problem+json.

FastAPI documents its 422 as `HTTPValidationError` (a list under `detail`) in
application/json, and knows nothing of the 401, 408, 413, 429, 500 or 503 the core itself may
answer. Generated clients then fail to parse the bodies the API really sends (core/errors.py).
Each operation lists the statuses it can answer by name, never a catch-all `default`: a status
the document does not name is a bug that schema-driven tests (schemathesis) can catch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from core.deps import require
from core.errors import PROBLEM_MEDIA_TYPE, status_title
from core.records import API_PREFIX, EVERY_RIGHT

__all__ = ["document_problems"]

_REF = "#/components/schemas/"

_PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem detail; `detail` is meant for people.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "default": "about:blank"},
        "title": {
            "type": "string",
            "description": "With `type` about:blank, the status's name in RFC 9110.",
        },
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "Quote it when reporting a 5xx."},
    },
    "additionalProperties": True,
}
_FIELD_ERROR: dict[str, Any] = {
    "title": "FieldError",
    "type": "object",
    "required": ["loc", "field", "message"],
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "field": {"type": "string"},
        "message": {"type": "string"},
        "type": {"type": "string"},
    },
}
_VALIDATION_PROBLEM: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "A 422 problem naming each invalid field; submitted values are never echoed.",
    "allOf": [
        {"$ref": _REF + "Problem"},
        {
            "type": "object",
            "properties": {"errors": {"type": "array", "items": {"$ref": _REF + "FieldError"}}},
        },
    ],
}
_PROBLEMS = {"422": "ValidationProblem"}
# FastAPI's own validation shapes, unused once every 422 points at ValidationProblem.
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")
# What the core answers on its own, and to which operations (core/errors.py, core/body.py,
# core/deps.py, core/mounting.py).
_ANY_OPERATION = {
    "500": "An unexpected error (a bug); quote `request_id` when reporting it",
    "503": "A backing service is unavailable or the server is busy; retry after `Retry-After`",
}
_SIGNED_IN = {"401": "Not authenticated: no valid bearer token"}
_UNDER_API = {"429": "Too many requests: the API rate limit; retry after `Retry-After`"}
_WITH_BODY = {
    "408": "The request body did not arrive in time",
    "413": "The request body is too large",
}
_NEEDS_RIGHT = {"403": "Forbidden: the caller lacks the right this needs"}
# core/input_sanity.py, for every request: no schema keyword says it once for every string.
_INPUT_RULE = (
    "A string anywhere in a request (path, query, JSON or form body) must not contain a NUL"
    " character or an unpaired UTF-16 surrogate: such a request is answered 422."
)
# The code of every dependency `require(...)` returns: how a route needing a right is told.
_RIGHT_CHECK = require(EVERY_RIGHT).__code__


def document_problems(
    schema: dict[str, Any], *, routes: Iterable[BaseRoute] = ()
) -> dict[str, Any]:
    """Rewrite `schema` (of `routes`) in place so every error is problem+json; returns it."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Problem=_PROBLEM, FieldError=_FIELD_ERROR, ValidationProblem=_VALIDATION_PROBLEM)
    info = schema.setdefault("info", {})
    info["description"] = "\n\n".join(filter(None, [info.get("description"), _INPUT_RULE]))
    guarded = _needing_rights(routes)
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _add_core_statuses(path, operation, needs_right=(path, method) in guarded)
                _document_operation(operation["responses"])
    if _REF + "HTTPValidationError" not in str(schema.get("paths", {})):
        for name in _FASTAPI_SCHEMAS:
            schemas.pop(name, None)
    return schema


def _needing_rights(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    """(path, method) of each operation a `require(...)` dependency guards, at any depth."""
    guarded: set[tuple[str, str]] = set()
    # As get_openapi walks them: routers included in routers, with their prefixes.
    for route in iter_route_contexts(list(routes)):
        if not isinstance(route.original_route, APIRoute) or route.path_format is None:
            continue
        stack = list(route.dependant.dependencies)
        while stack:
            dependant = stack.pop()
            if getattr(dependant.call, "__code__", None) is _RIGHT_CHECK:
                methods = route.methods or ()
                guarded.update((route.path_format, method.lower()) for method in methods)
                break
            stack.extend(dependant.dependencies)
    return guarded


def _add_core_statuses(path: str, operation: dict[str, Any], *, needs_right: bool) -> None:
    """Name the statuses the core may answer for this operation, as modules name theirs."""
    core = dict(_ANY_OPERATION)
    if operation.get("security"):
        core.update(_SIGNED_IN)
    if needs_right:
        core.update(_NEEDS_RIGHT)
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        core.update(_UNDER_API)
    if "requestBody" in operation:
        core.update(_WITH_BODY)
    responses: dict[str, Any] = operation["responses"]
    for code, description in core.items():
        responses.setdefault(code, {"description": description})
    # Ordered by status, as FastAPI orders the ones it writes.
    operation["responses"] = dict(sorted(responses.items()))


def _document_operation(responses: dict[str, Any]) -> None:
    for code, response in responses.items():
        if code[:1] not in ("4", "5"):
            continue
        if not response.get("description") and code.isdigit():
            response["description"] = status_title(int(code))
        content = response.setdefault("content", {})
        json_schema = content.get("application/json", {}).get("schema")
        if json_schema == {"$ref": _REF + "HTTPValidationError"}:
            del content["application/json"]
        elif content.keys() - {PROBLEM_MEDIA_TYPE}:
            continue  # a module documented a body of its own (readiness answers 503 in JSON)
        problem = content.setdefault(PROBLEM_MEDIA_TYPE, {})
        problem.setdefault("schema", {"$ref": _REF + _PROBLEMS.get(code, "Problem")})
