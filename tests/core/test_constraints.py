"""The OpenAPI document states the limits the validation enforces, from the same source."""

from __future__ import annotations

import re
from types import ModuleType
from typing import Annotated

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field, TypeAdapter, ValidationError

from core import FromSettings, ModuleInfo, Mount, hookimpl
from core.constraints import EMAIL_PATTERN
from core.testing import ClientFactory


class TagsConfig(BaseModel, extra="forbid"):
    tag_length: int = 20


Tag = Annotated[str, Field(max_length=1000), FromSettings(TagsConfig, maxLength="tag_length")]


class Tagged(BaseModel):
    tag: Tag
    owner: EmailStr


def tags_module() -> ModuleType:
    """A module whose request body has a length its deployment configures."""
    router = APIRouter(prefix="/tags", tags=["tags"])

    @router.post("")
    async def tag(body: Tagged) -> Tagged:
        return body

    plugin = ModuleType("tags")

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name="tags", version="1.0", settings=TagsConfig)

    @hookimpl
    def register_routers() -> list[Mount]:
        return [Mount(router)]

    plugin.module_info = module_info  # type: ignore[attr-defined]
    plugin.register_routers = register_routers  # type: ignore[attr-defined]
    return plugin


@pytest.mark.parametrize("length", [7, 20])
async def test_each_app_documents_its_own_settings(make_client: ClientFactory, length: int) -> None:
    settings = {"tags": {"tag_length": length}}
    async with make_client(["tags"], settings, extra_plugins=[tags_module()]) as client:
        document = await client.get("/openapi.json")
    tag = document.json()["components"]["schemas"]["Tagged"]["properties"]["tag"]
    assert tag["maxLength"] == length
    assert "x-trellis" not in document.text  # the marker is gone once filled in


def test_a_setting_the_model_lacks_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match="TagsConfig has no setting tag_size"):
        FromSettings(TagsConfig, maxLength="tag_size")


async def test_email_fields_say_what_email_validator_refuses(make_client: ClientFactory) -> None:
    async with make_client(["tags"], extra_plugins=[tags_module()]) as client:
        schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["Tagged"]["properties"]["owner"]["pattern"] == EMAIL_PATTERN


@pytest.mark.parametrize(
    "email",
    [
        "ann@example.com",
        "ann@mail.example.org",
        "ann@onion.example.net",  # a special-use name, but not the domain's end
        "ann@host.test",
        "ann@HOST.TEST",
        "ann@x.localhost",
        "ann@machine.local",
        "ann@in-addr.arpa",
        "ann@nowhere.invalid",
        "ann@service.onion",
    ],
)
def test_the_email_pattern_agrees_with_pydantic(email: str) -> None:
    try:
        TypeAdapter(EmailStr).validate_python(email)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert (re.search(EMAIL_PATTERN, email) is not None) == accepted
