"""A third-party module's permission, granted through a role; disabled, its grants wait.

The module is installed as pip would install it: a package and an entry point.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.testing import ClientFactory
from modules.auth.testing import create_superuser, sign_up
from tests.support.packages import Site, site_packages

from .support import (
    FAST_HASHING,
    ME,
    MODULES,
    PERMISSIONS,
    ROLES,
    assert_problem,
    create_role,
    grant,
)

REPORTS = "/api/v1/acme/reports"
ACME = textwrap.dedent(
    """
    from typing import Annotated

    from fastapi import APIRouter, Depends

    from core import ModuleInfo, Mount, Permission, Principal, hookimpl, require

    router = APIRouter(prefix="/acme", tags=["acme"])
    Reader = Annotated[Principal, Depends(require("acme:read"))]


    @router.get("/reports")
    async def reports(_reader: Reader) -> dict[str, str]:
        return {"report": "all well"}


    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name="acme", version="1.0")


    @hookimpl
    def register_routers() -> list[Mount]:
        return [Mount(router)]


    @hookimpl
    def register_permissions() -> list[Permission]:
        return [Permission("acme:read", "Read the reports.")]
    """
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path / "site") as installed:
        installed.install("acme-pkg", "1.0", acme=ACME)
        yield installed


async def test_its_permission_is_granted_like_a_built_in_one(
    make_client: ClientFactory, site: Site
) -> None:
    async with make_client([*MODULES, "acme"], FAST_HASHING) as client:
        root, ann = await create_superuser(client), await sign_up(client)
        assert_problem(await client.get(REPORTS, headers=ann.headers), 403)
        assert (await client.get(REPORTS, headers=root.headers)).status_code == 200
        listed = (await client.get(PERMISSIONS, headers=root.headers)).json()["items"]
        assert {"name": "acme:read", "module": "acme", "description": "Read the reports."} in listed

        await create_role(client, root, "readers", "acme:read")
        await grant(client, root, ann, "readers")
        assert (await client.get(REPORTS, headers=ann.headers)).status_code == 200
        assert (await client.get(ME, headers=ann.headers)).json()["permissions"] == ["acme:read"]


async def test_disabled_its_grants_wait_and_come_back(
    make_client: ClientFactory, site: Site
) -> None:
    async with make_client([*MODULES, "acme"], FAST_HASHING) as client:
        root, ann = await create_superuser(client), await sign_up(client)
        await create_role(client, root, "readers", "acme:read")
        await grant(client, root, ann, "readers")

    async with make_client(MODULES, FAST_HASHING) as client:
        assert_problem(await client.get(REPORTS, headers=ann.headers), 404)
        readers = f"{ROLES}/readers"
        assert (await client.get(readers, headers=root.headers)).json()["permissions"] == []
        me = (await client.get(ME, headers=ann.headers)).json()
        assert (me["roles"], me["permissions"]) == (["readers"], [])
        # Replacing the role's permissions now leaves the disabled module's alone.
        await client.patch(readers, json={"permissions": ["users:admin"]}, headers=root.headers)

    async with make_client([*MODULES, "acme"], FAST_HASHING) as client:
        assert (await client.get(REPORTS, headers=ann.headers)).status_code == 200
        role = (await client.get(f"{ROLES}/readers", headers=root.headers)).json()
        assert role["permissions"] == ["acme:read", "users:admin"]
