"""The OpenAPI document tells the truth about errors: every one is problem+json.

FastAPI documents its 422 as `HTTPValidationError` (a list under `detail`) in
application/json, and knows nothing of the 401, 413, 429 or 503 any operation may answer.
Generated clients then fail to parse the bodies the API really sends (core/errors.py).
"""

from __future__ import annotations

from typing import Any

from core.errors import PROBLEM_MEDIA_TYPE

__all__ = ["document_problems"]

_REF = "#/components/schemas/"

_PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem detail; `detail` is meant for people.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "default": "about:blank"},
        "title": {"type": "string"},
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


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite `schema` in place so every error response is problem+json; returns it."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Problem=_PROBLEM, FieldError=_FIELD_ERROR, ValidationProblem=_VALIDATION_PROBLEM)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _document_operation(operation["responses"])
    if _REF + "HTTPValidationError" not in str(schema.get("paths", {})):
        for name in _FASTAPI_SCHEMAS:
            schemas.pop(name, None)
    return schema


def _document_operation(responses: dict[str, Any]) -> None:
    for code, response in responses.items():
        if code[:1] not in ("4", "5"):
            continue
        content = response.setdefault("content", {})
        json_schema = content.get("application/json", {}).get("schema")
        if json_schema == {"$ref": _REF + "HTTPValidationError"}:
            del content["application/json"]
        elif content.keys() - {PROBLEM_MEDIA_TYPE}:
            continue  # a module documented a body of its own (readiness answers 503 in JSON)
        problem = content.setdefault(PROBLEM_MEDIA_TYPE, {})
        problem.setdefault("schema", {"$ref": _REF + _PROBLEMS.get(code, "Problem")})
    # Any operation may also answer 401, 413, 429, 500 or 503: say what those bodies are.
    responses.setdefault(
        "default",
        {
            "description": "An error, as RFC 9457 problem+json",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF + "Problem"}}},
        },
    )
