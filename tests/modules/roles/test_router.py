"""Permissions and roles through HTTP: listing, creating, changing, deleting."""

from __future__ import annotations

from core.host import Host
from core.routes import overlap, served_routes
from core.testing import TrellisClient
from modules.auth.testing import Account

from .support import PERMISSIONS, ROLES, USERS, assert_problem, create_role, grant


async def test_permissions_lists_what_the_enabled_modules_declare(
    client: TrellisClient, superuser: Account
) -> None:
    response = await client.get(PERMISSIONS, headers=superuser.headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(p["name"], p["module"]) for p in items] == [
        ("users:admin", "users"),
        ("roles:manage", "roles"),
    ]
    assert all(p["description"] for p in items)


async def test_the_built_in_roles_are_there(client: TrellisClient, superuser: Account) -> None:
    response = await client.get(ROLES, headers=superuser.headers)
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    assert {role["name"]: role["permissions"] for role in page["items"]} == {
        "admin": ["roles:manage", "users:admin"],  # and system:inspect, dormant here
        "user-manager": ["users:admin"],
    }


async def test_a_role_is_created_read_changed_and_deleted(
    client: TrellisClient, superuser: Account
) -> None:
    created = await create_role(client, superuser, "support", "users:admin", "users:admin")
    assert created == {
        "name": "support",
        "description": "The supports.",
        "permissions": ["users:admin"],
    }
    url = f"{ROLES}/support"
    assert (await client.get(url, headers=superuser.headers)).json() == created

    described = await client.patch(
        url, json={"description": "Help desk"}, headers=superuser.headers
    )
    assert described.json() == {**created, "description": "Help desk"}
    emptied = await client.patch(url, json={"permissions": []}, headers=superuser.headers)
    assert emptied.json()["permissions"] == []

    assert (await client.delete(url, headers=superuser.headers)).status_code == 204
    assert_problem(await client.get(url, headers=superuser.headers), 404)
    assert_problem(await client.patch(url, json={}, headers=superuser.headers), 404)
    assert_problem(await client.delete(url, headers=superuser.headers), 404)


async def test_a_role_naming_an_unknown_permission_is_422(
    client: TrellisClient, superuser: Account
) -> None:
    body = {"name": "odd", "permissions": ["users:admin", "users:fly", "notes:moderate"]}
    response = await client.post(ROLES, json=body, headers=superuser.headers)
    assert_problem(response, 422)
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [
        ["body", "permissions", 1],
        ["body", "permissions", 2],
    ]
    assert "users:fly" not in response.text  # like every 422, nothing submitted is echoed
    changed = await client.patch(
        f"{ROLES}/admin", json={"permissions": ["*"]}, headers=superuser.headers
    )
    assert_problem(changed, 422)
    assert_problem(await client.get(f"{ROLES}/odd", headers=superuser.headers), 404)


async def test_names_and_bodies_are_validated(client: TrellisClient, superuser: Account) -> None:
    for body in (
        {"name": "Admin"},
        {"name": ""},
        {"name": "a b"},
        {"name": "x" * 65},
        {"name": "ok", "extra": 1},
        {"name": "ok", "description": "\x00"},
        {"name": "ok", "permissions": "users:admin"},
    ):
        assert_problem(await client.post(ROLES, json=body, headers=superuser.headers), 422)
    for body in ({"permissions": None}, {"description": None}, {"name": "other"}):
        response = await client.patch(f"{ROLES}/admin", json=body, headers=superuser.headers)
        assert_problem(response, 422)


async def test_a_taken_name_is_409(client: TrellisClient, superuser: Account) -> None:
    response = await client.post(ROLES, json={"name": "admin"}, headers=superuser.headers)
    assert_problem(response, 409)


async def test_the_list_pages_by_name(client: TrellisClient, superuser: Account) -> None:
    for name in ("b-role", "a-role"):
        await create_role(client, superuser, name)
    response = await client.get(f"{ROLES}?limit=2&offset=1", headers=superuser.headers)
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert [role["name"] for role in page["items"]] == ["admin", "b-role"]
    assert_problem(await client.get(f"{ROLES}?limit=0", headers=superuser.headers), 422)


async def test_roles_need_roles_manage(
    client: TrellisClient, superuser: Account, user: Account
) -> None:
    calls = [
        ("GET", PERMISSIONS),
        ("GET", ROLES),
        ("POST", ROLES),
        ("GET", f"{ROLES}/admin"),
        ("PATCH", f"{ROLES}/admin"),
        ("DELETE", f"{ROLES}/admin"),
    ]
    for method, url in calls:
        assert_problem(await client.request(method, url, headers=user.headers), 403)
        assert_problem(await client.request(method, url), 401)
    await grant(client, superuser, user, "admin")
    assert (await client.get(ROLES, headers=user.headers)).status_code == 200
    created = await client.post(ROLES, json={"name": "mine"}, headers=user.headers)
    assert created.status_code == 201


async def test_grant_routes_under_users_never_meet_the_users_modules_routes(
    client: TrellisClient,
) -> None:
    """Start-up refuses routes one request could match both; these two modules coexist."""
    host: Host = client.app.state.host
    served = {
        module: list(served_routes(module, mount.router.routes, mount.prefix))
        for module, mount in host.mounts()
        if module in ("users", "roles")
    }
    grants = [route for route in served["roles"] if route.path.startswith(USERS)]
    assert {route.path for route in grants} == {f"{USERS}/{{user_id}}/roles/{{name}}"}
    for ours in grants:
        for theirs in served["users"]:
            assert not overlap(ours.path, theirs.path), theirs.path
