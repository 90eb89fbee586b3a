"""A signed-in user's sockets hear their own account events, and close with their session."""

from __future__ import annotations

from core.testing import TrellisClient
from modules.auth.testing import PASSWORD, Account, sign_in, sign_up

from .support import open_socket, token_expiring_in

ME = "/api/v1/users/me"
LOGOUT = "/api/v1/auth/logout"


async def test_an_update_names_the_changed_fields(client: TrellisClient, user: Account) -> None:
    async with open_socket(client, user.access_token) as socket:
        response = await client.patch(ME, json={"full_name": "Ann"}, headers=user.headers)
        assert response.status_code == 200
        assert await socket.receive_json() == {"type": "account.updated", "fields": ["full_name"]}


async def test_only_the_users_own_events_arrive(client: TrellisClient, user: Account) -> None:
    other = await sign_up(client)
    async with open_socket(client, user.access_token) as socket:
        await client.patch(ME, json={"full_name": "Bob"}, headers=other.headers)
        await client.patch(ME, json={"full_name": "Ann"}, headers=user.headers)
        message = await socket.receive_json()
        assert message == {"type": "account.updated", "fields": ["full_name"]}


async def test_logout_sends_the_event_then_closes_the_socket(
    client: TrellisClient, user: Account
) -> None:
    async with open_socket(client, user.access_token) as socket:
        assert (await client.post(LOGOUT, headers=user.headers)).status_code == 204
        message = await socket.receive_json()
        assert message["type"] == "session.revoked"
        assert message["current"] is True
        assert await socket.closed() == 4001


async def test_another_sessions_logout_leaves_this_socket_open(
    client: TrellisClient, user: Account
) -> None:
    other_device = {"Authorization": f"Bearer {await sign_in(client, user.email)}"}
    async with open_socket(client, user.access_token) as socket:
        assert (await client.post(LOGOUT, headers=other_device)).status_code == 204
        message = await socket.receive_json()
        assert message["type"] == "session.revoked"
        assert message["current"] is False
        await client.patch(ME, json={"full_name": "Still here"}, headers=user.headers)
        assert (await socket.receive_json())["type"] == "account.updated"


async def test_a_password_change_is_announced_and_closes_every_socket(
    client: TrellisClient, user: Account
) -> None:
    async with open_socket(client, user.access_token) as socket:
        change = {"current_password": PASSWORD, "new_password": "another battery staple horse"}
        response = await client.post(f"{ME}/password", json=change, headers=user.headers)
        assert response.status_code == 204, response.text
        kinds = [(await socket.receive_json())["type"], (await socket.receive_json())["type"]]
        assert sorted(kinds) == ["password.changed", "session.revoked"]
        assert await socket.closed() == 4001


async def test_the_socket_closes_when_its_token_expires(
    client: TrellisClient, user: Account
) -> None:
    short_lived = token_expiring_in(client, user.access_token, 1)
    async with open_socket(client, short_lived) as socket:
        assert await socket.closed() == 4002
