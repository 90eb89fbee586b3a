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


async def test_each_operation_names_the_statuses_the_core_may_answer(
    make_client: ClientFactory,
) -> None:
    # No catch-all `default`: a status the document does not name is a bug a schema-driven
    # test can catch (tests/fuzz).
    spec, _ = await _spec_and_422(make_client)
    memo = spec["paths"]["/api/v1/memos"]["post"]["responses"]
    assert set(memo) == {"201", "408", "409", "413", "422", "429", "500", "503"}
    assert memo["413"]["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    # Outside /api/v1 there is no API rate limit; without a body, no 408 or 413.
    assert set(spec["paths"]["/health"]["get"]["responses"]) == {"200", "500", "503"}


async def test_a_sign_in_or_a_right_is_documented_where_an_operation_needs_it(
    make_client: ClientFactory,
) -> None:
    async with make_client(["users", "auth", "system"], {"users": {"bcrypt_rounds": 4}}) as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    me = paths["/api/v1/users/me"]["get"]["responses"]
    assert "401" in me
    assert "403" not in me
    # GET /modules depends on `require(...)`: the core documents its 403.
    assert {"401", "403"} <= set(paths["/api/v1/modules"]["get"]["responses"])
    assert "401" not in paths["/api/v1/users"]["post"]["responses"]
