"""An app that does not enable notes serves none of its routes."""

from __future__ import annotations

from core.testing import ClientFactory
from modules.auth.testing import sign_up


async def test_without_notes_its_routes_are_gone(make_client: ClientFactory) -> None:
    async with make_client(["users", "auth"], {"users": {"bcrypt_rounds": 4}}) as client:
        ann = await sign_up(client)
        listed = await client.get("/api/v1/notes", headers=ann.headers)
        created = await client.post("/api/v1/notes", json={"title": "x"}, headers=ann.headers)
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert (listed.status_code, created.status_code) == (404, 404)
    assert not [path for path in paths if path.startswith("/api/v1/notes")]
