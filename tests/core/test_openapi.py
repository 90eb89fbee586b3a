"""The OpenAPI document describes error bodies as the problem+json the API really sends."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from core.testing import ClientFactory
from tests.support.packages import routed_module

PROBLEM = "application/problem+json"


class Memo(BaseModel):
    text: str


def memos_module() -> ModuleType:
    """A module with a JSON body and an error documented only by its description."""
    router = APIRouter(prefix="/memos", tags=["memos"])

    @router.post("", status_code=201, responses={409: {"description": "Duplicate"}})
    async def create(memo: Memo) -> Memo:
        return memo

    return routed_module("memos", router, version="0.1")


async def _spec_and_422(make_client: ClientFactory) -> tuple[dict[str, Any], Any]:
    async with make_client(["health", "memos"], extra_plugins=[memos_module()]) as client:
        spec = (await client.get("/openapi.json")).json()
        invalid = await client.post("/api/v1/memos", json={"text": 1})
    return spec, invalid


async def test_error_responses_are_documented_as_problem_json(make_client: ClientFactory) -> None:
    spec, invalid = await _spec_and_422(make_client)
    responses = spec["paths"]["/api/v1/memos"]["post"]["responses"]
    # FastAPI documents 422 as HTTPValidationError in application/json; the API sends neither.
    assert responses["422"]["content"] == {
        PROBLEM: {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}
    }
    assert responses["409"]["content"] == {
        PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert responses["default"]["content"][PROBLEM]
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) <= set(invalid.json())
    assert invalid.headers["content-type"] == PROBLEM
    assert set(invalid.json()["errors"][0]) >= set(schemas["FieldError"]["required"])


async def test_a_module_documented_body_is_kept(make_client: ClientFactory) -> None:
    spec, _ = await _spec_and_422(make_client)
    # Readiness answers 503 with its own JSON report, not a problem.
    unready = spec["paths"]["/health/ready"]["get"]["responses"]["503"]["content"]
    assert list(unready) == ["application/json"]


async def test_only_routes_that_need_a_sign_in_are_documented_as_secured(
    make_client: ClientFactory,
) -> None:
    async with make_client(["users", "auth"], {"users": {"bcrypt_rounds": 4}}) as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert "security" not in paths["/api/v1/users"]["post"]
    assert "security" not in paths["/api/v1/auth/token"]["post"]
    assert paths["/api/v1/users/me"]["get"]["security"] == [{"OAuth2": []}]
