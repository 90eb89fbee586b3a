"""Who may see the counts: superusers, and the holders of a role with `notes:moderate`."""

from __future__ import annotations

from core.testing import ClientFactory
from modules.auth.testing import create_superuser, sign_up

STATS = "/api/v1/notes/stats"


async def test_a_role_holding_notes_moderate_opens_the_counts(make_client: ClientFactory) -> None:
    async with make_client(
        ["users", "auth", "roles", "notes"], {"users": {"bcrypt_rounds": 4}}
    ) as client:
        root, ann = await create_superuser(client), await sign_up(client)
        assert (await client.get(STATS, headers=ann.headers)).status_code == 403

        role = {"name": "moderator", "permissions": ["notes:moderate"]}
        await client.post("/api/v1/roles", json=role, headers=root.headers)
        await client.put(f"/api/v1/users/{ann.id}/roles/moderator", headers=root.headers)
        assert (await client.get(STATS, headers=ann.headers)).status_code == 200  # same token
