"""Granting and taking back roles through HTTP: existing access tokens follow at once."""

from __future__ import annotations

from core.testing import TrellisClient
from modules.auth.testing import Account, sign_up

from .support import (
    ME,
    ROLES,
    USERS,
    assert_problem,
    create_role,
    grant,
    grant_url,
    revoke,
)


async def test_a_token_issued_before_follows_a_grant_and_a_revocation(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    """The token is signed once; what it may do changes with the very next request."""
    refused = await client.get(USERS, headers=user.headers)
    assert_problem(refused, 403)
    assert "users:admin" in refused.json()["detail"]

    await grant(client, superuser, user, "user-manager")
    granted = await client.get(USERS, headers=user.headers)
    assert granted.status_code == 200, granted.text

    await revoke(client, superuser, user, "user-manager")
    assert_problem(await client.get(USERS, headers=user.headers), 403)


async def test_me_lists_the_callers_roles_and_permissions(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    before = (await client.get(ME, headers=user.headers)).json()
    assert (before["roles"], before["permissions"]) == ([], [])

    await grant(client, superuser, user, "user-manager")
    await grant(client, superuser, user, "admin")
    after = (await client.get(ME, headers=user.headers)).json()
    assert after["roles"] == ["admin", "user-manager"]
    # `system:inspect`, also in `admin`, waits: the system module is not enabled here.
    assert after["permissions"] == ["roles:manage", "users:admin"]

    root = (await client.get(ME, headers=superuser.headers)).json()
    assert (root["roles"], root["permissions"]) == ([], ["roles:manage", "users:admin"])


async def test_editing_a_role_changes_what_its_holders_may_do_at_once(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    other = await sign_up(client)
    await create_role(client, superuser, "auditor")
    for holder in (user, other):
        await grant(client, superuser, holder, "auditor")
        assert_problem(await client.get(USERS, headers=holder.headers), 403)

    url = f"{ROLES}/auditor"
    added = await client.patch(
        url, json={"permissions": ["users:admin"]}, headers=superuser.headers
    )
    assert added.json()["permissions"] == ["users:admin"]
    for holder in (user, other):
        assert (await client.get(USERS, headers=holder.headers)).status_code == 200

    await client.patch(url, json={"permissions": []}, headers=superuser.headers)
    for holder in (user, other):
        assert_problem(await client.get(USERS, headers=holder.headers), 403)

    await client.patch(url, json={"permissions": ["users:admin"]}, headers=superuser.headers)
    assert (await client.delete(url, headers=superuser.headers)).status_code == 204
    for holder in (user, other):
        assert_problem(await client.get(USERS, headers=holder.headers), 403)
        assert (await client.get(ME, headers=holder.headers)).json()["roles"] == []


async def test_granting_twice_and_taking_back_what_is_not_held_are_no_ops(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    for _ in range(2):
        await grant(client, superuser, user, "user-manager")
    await revoke(client, superuser, user, "user-manager")
    await revoke(client, superuser, user, "user-manager")
    assert (await client.get(ME, headers=user.headers)).json()["roles"] == []


async def test_a_grant_needs_roles_manage_an_existing_user_and_role(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    assert_problem(await client.put(grant_url(user, "admin"), headers=user.headers), 403)
    assert_problem(await client.put(grant_url(user, "nobody"), headers=superuser.headers), 404)
    missing = f"{USERS}/00000000-0000-0000-0000-000000000000/roles/admin"
    assert_problem(await client.put(missing, headers=superuser.headers), 404)
    assert_problem(await client.put(f"{USERS}/x/roles/admin", headers=superuser.headers), 422)
    assert_problem(await client.put(grant_url(user, "admin")), 401)
