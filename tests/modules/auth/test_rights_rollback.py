"""Rights cached for sessions follow the committed database, not a transaction that failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import ModuleType
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from core import ModuleInfo, Mount, hookimpl
from core.deps import CurrentAdministrator
from core.errors import ProblemError
from core.runtime import Runtime
from core.testing import ClientFactory
from modules.auth.testing import Account

from .support import MODULES, module_settings

VETO = "/api/v1/veto/admin-only"


class Vetoed(ProblemError):
    status = 409
    title = "Vetoed"


def vetoing_module() -> ModuleType:
    """Refuses every promotion from its user_updated hook (after auth's), and has a route
    guarded by the core's CurrentAdministrator alone, as any third-party module's would be."""
    plugin = ModuleType("veto")
    router = APIRouter(prefix="/veto", tags=["veto"])

    @router.get("/admin-only")
    async def admin_only(_: CurrentAdministrator) -> dict[str, bool]:
        return {"ok": True}

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name="veto", version="0.1", requires=("auth",))

    @hookimpl
    def register_routers() -> list[Mount]:
        return [Mount(router)]

    @hookimpl
    async def user_updated(
        runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
    ) -> None:
        if "is_superuser" in changed:
            raise Vetoed("Promotions are frozen.")

    for name in ("module_info", "register_routers", "user_updated"):
        setattr(plugin, name, locals()[name])
    return plugin


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    modules = [*MODULES, "veto"]
    async with make_client(modules, module_settings(), extra_plugins=[vetoing_module()]) as client:
        yield client


async def test_a_promotion_that_rolls_back_grants_nothing(
    client: httpx.AsyncClient, superuser: Account, user: Account
) -> None:
    assert (await client.get(VETO, headers=user.headers)).status_code == 403
    promoted = await client.patch(
        f"/api/v1/users/{user.id}", json={"is_superuser": True}, headers=superuser.headers
    )
    assert promoted.status_code == 409
    assert (await client.get(VETO, headers=user.headers)).status_code == 403
    me = await client.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["is_superuser"] is False
    # The administrator's own session was untouched by the failed change.
    assert (await client.get(VETO, headers=superuser.headers)).status_code == 200
