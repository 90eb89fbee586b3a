"""A password chosen through a reset link is documented with the users module's policy."""

from __future__ import annotations

from core.testing import ClientFactory

from .support import MODULES


async def test_the_reset_password_states_the_configured_policy(
    make_client: ClientFactory,
) -> None:
    policy = {"bcrypt_rounds": 4, "password_min_length": 12, "password_max_length": 64}
    async with make_client(MODULES, {"users": policy}) as client:
        schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    password = schemas["PasswordReset"]["properties"]["new_password"]
    assert (password["minLength"], password["maxLength"]) == (12, 64)
