"""The conformance check every module runs in one line holds for the built-in modules, and
catches each broken contract in a third-party-shaped package."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from core.testing.conformance import assert_conformant, conformance_problems
from tests.support.packages import Site, site_packages


@pytest.mark.parametrize("name", ["health", "users", "auth", "roles", "system"])
def test_the_built_in_modules_keep_the_contracts(name: str) -> None:
    assert_conformant(name)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path) as installed:
        yield installed
    # The package is forgotten; its table must leave the shared metadata with it.
    SQLModel.metadata.remove(SQLModel.metadata.tables["sloppy_thing"])


SLOPPY = """
from fastapi import APIRouter, HTTPException
from sqlmodel import Field, SQLModel
from core import ModuleInfo, Mount, hookimpl
from core.deps import SessionDep
from modules.users.models import User

router = APIRouter(prefix="/sloppy")

class SloppyThing(SQLModel, table=True):
    __tablename__ = "sloppy_thing"
    id: int | None = Field(default=None, primary_key=True)

GONE = {404: {"description": "gone", "content": {"application/json": {}}}}

@router.get("/things", responses=GONE)
async def things(session: SessionDep) -> list[int]:
    raise HTTPException(404)

@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="sloppy", version="1.0", requires=("users>=9",))

@hookimpl
def register_models():
    return [SloppyThing]

@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]

@hookimpl
async def user_deleted(runtime, session, user_id) -> None:
    return None
"""


def test_each_broken_contract_is_named(site: Site) -> None:
    site.install("sloppy-pkg", "1.0", sloppy=textwrap.dedent(SLOPPY))
    problems = conformance_problems("sloppy")
    assert problems[:-1] == [
        "metadata: ModuleInfo has no description",
        "sloppy_pkg/sloppy.py: imports core.deps; import names from core itself (its __all__)",
        "sloppy_pkg/sloppy.py: imports modules.users.models;"
        " import names from modules.users itself (its __all__)",
        "hook register_models: annotate the return value",
        "hook user_deleted: annotate runtime, session, user_id",
    ]
    assert problems[-1].startswith("requirements: module 'sloppy' requires users>=9, but users")


def test_routes_and_tables_are_checked_once_requirements_resolve(site: Site) -> None:
    source = textwrap.dedent(SLOPPY).replace('requires=("users>=9",)', 'requires=("users",)')
    site.install("sloppier-pkg", "1.0", sloppy=source)  # a new module path: a new class
    problems = conformance_problems("sloppy")
    assert (
        "route GET /api/v1/sloppy/things: no tag (tags=[...] on its APIRouter names it in /docs)"
        in problems
    )
    assert (
        "route GET /api/v1/sloppy/things: its 404 answer has no body schema"
        " (application/problem+json)" in problems
    )
    assert "tables ['sloppy_thing']: no register_migrations folder creates them" in problems
