"""Rights cached with sessions follow the committed grants, not a role change that failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import ModuleType
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core import ModuleInfo, ProblemError, Runtime, hookimpl
from core.testing import ClientFactory, TrellisClient
from modules.auth.testing import Account

from .support import FAST_HASHING, MODULES, USERS, assert_problem, grant, grant_url


class Frozen(ProblemError):
    status = 409
    title = "Frozen"


FROZEN = {"now": True}


def freezing_module() -> ModuleType:
    """Refuses every change of rights from its subscriber, which runs after auth's, while
    `FROZEN["now"]`."""
    plugin = ModuleType("freeze")

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name="freeze", version="0.1", requires=("roles",))

    @hookimpl
    async def user_rights_changed(
        runtime: Runtime,
        session: AsyncSession,
        user_ids: frozenset[UUID],
        gained: frozenset[str],
        lost: frozenset[str],
    ) -> None:
        if FROZEN["now"]:
            raise Frozen("Rights are frozen.")

    plugin.module_info = module_info  # type: ignore[attr-defined]
    plugin.user_rights_changed = user_rights_changed  # type: ignore[attr-defined]
    return plugin


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[TrellisClient]:
    FROZEN["now"] = True
    modules = [*MODULES, "freeze"]
    async with make_client(modules, FAST_HASHING, extra_plugins=[freezing_module()]) as client:
        yield client


async def test_a_grant_that_rolls_back_gives_nothing(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    assert_problem(
        await client.put(grant_url(user, "user-manager"), headers=superuser.headers), 409
    )
    assert_problem(await client.get(USERS, headers=user.headers), 403)


async def test_a_revocation_that_rolls_back_takes_nothing(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    FROZEN["now"] = False
    await grant(client, superuser, user, "user-manager")
    FROZEN["now"] = True
    assert (await client.get(USERS, headers=user.headers)).status_code == 200
    assert_problem(
        await client.delete(grant_url(user, "user-manager"), headers=superuser.headers), 409
    )
    # auth lowered the cached rights ahead of the commit; the rollback dropped them again.
    assert (await client.get(USERS, headers=user.headers)).status_code == 200
