"""Someone must be able to manage roles: the last holder of roles:manage cannot lose it."""

from __future__ import annotations

import asyncio

import pytest

from core.testing import TrellisClient
from modules.auth.testing import Account, sign_up

from .support import (
    ME,
    ROLES,
    USERS,
    assert_problem,
    create_role,
    grant,
    grant_directly,
    grant_url,
    revoke,
)


@pytest.fixture
async def manager(client: TrellisClient) -> Account:
    """The only one who may manage roles: no superuser exists in these apps."""
    ann = await sign_up(client)
    await grant_directly(client, ann, "admin")
    return ann


async def test_the_last_manager_cannot_give_up_the_role(
    client: TrellisClient, manager: Account
) -> None:
    response = await client.delete(grant_url(manager, "admin"), headers=manager.headers)
    assert_problem(response, 409)
    assert "manage roles" in response.json()["detail"]
    assert (await client.get(ME, headers=manager.headers)).json()["roles"] == ["admin"]


async def test_nor_lose_it_by_an_edit_or_a_deletion_of_the_role(
    client: TrellisClient, manager: Account
) -> None:
    url = f"{ROLES}/admin"
    dropped = await client.patch(
        url, json={"permissions": ["users:admin"]}, headers=manager.headers
    )
    assert_problem(dropped, 409)
    assert_problem(await client.delete(url, headers=manager.headers), 409)
    role = (await client.get(url, headers=manager.headers)).json()
    assert "roles:manage" in role["permissions"]
    # A change that keeps roles:manage is fine.
    kept = await client.patch(url, json={"permissions": ["roles:manage"]}, headers=manager.headers)
    assert kept.json()["permissions"] == ["roles:manage"]


async def test_another_manager_may_take_over(client: TrellisClient, manager: Account) -> None:
    bob = await sign_up(client)
    await create_role(client, manager, "keepers", "roles:manage")
    await grant(client, manager, bob, "keepers")
    await revoke(client, manager, manager, "admin")  # bob remains
    assert_problem(await client.get(ROLES, headers=manager.headers), 403)
    assert_problem(await client.delete(f"{ROLES}/keepers", headers=bob.headers), 409)
    assert_problem(await client.delete(grant_url(bob, "keepers"), headers=bob.headers), 409)


async def test_nor_by_being_deactivated_or_deleted(client: TrellisClient, manager: Account) -> None:
    clerk = await sign_up(client)
    await grant(client, manager, clerk, "user-manager")
    account = f"{USERS}/{manager.id}"
    deactivated = await client.patch(account, json={"is_active": False}, headers=clerk.headers)
    assert_problem(deactivated, 409)
    assert_problem(await client.delete(account, headers=clerk.headers), 409)
    assert_problem(await client.delete(ME, headers=manager.headers), 409)
    assert (await client.get(ME, headers=manager.headers)).status_code == 200
    # Someone else who may deactivate users but not manage roles loses nothing that matters.
    other = await sign_up(client)
    await grant(client, manager, other, "user-manager")
    gone = await client.delete(f"{USERS}/{other.id}", headers=clerk.headers)
    assert gone.status_code == 204


async def test_a_superuser_counts_as_a_manager(
    client: TrellisClient, manager: Account, superuser: Account
) -> None:
    await revoke(client, manager, manager, "admin")
    assert (await client.delete(f"{ROLES}/admin", headers=superuser.headers)).status_code == 204


async def test_two_managers_stepping_down_at_once_leave_one(
    client: TrellisClient, manager: Account
) -> None:
    bob = await sign_up(client)
    await create_role(client, manager, "keepers", "roles:manage")
    await grant(client, manager, bob, "keepers")
    results = await asyncio.gather(
        client.delete(grant_url(manager, "admin"), headers=manager.headers),
        client.delete(grant_url(bob, "keepers"), headers=bob.headers),
    )
    assert sorted(response.status_code for response in results) == [204, 409]
    still = [await client.get(ROLES, headers=who.headers) for who in (manager, bob)]
    assert sorted(response.status_code for response in still) == [200, 403]


async def test_a_revocation_and_a_deactivation_at_once_leave_a_manager(
    client: TrellisClient, manager: Account
) -> None:
    bob, clerk = await sign_up(client), await sign_up(client)
    await create_role(client, manager, "keepers", "roles:manage")
    await grant(client, manager, bob, "keepers")
    await grant(client, manager, clerk, "user-manager")
    results = await asyncio.gather(
        client.delete(grant_url(manager, "admin"), headers=manager.headers),
        client.patch(f"{USERS}/{bob.id}", json={"is_active": False}, headers=clerk.headers),
    )
    statuses = sorted(response.status_code for response in results)
    assert statuses in ([200, 409], [204, 409]), statuses
    able = [await client.get(ROLES, headers=who.headers) for who in (manager, bob)]
    assert [response.status_code for response in able].count(200) == 1
