"""The OpenAPI document and the server agree: what one allows, the other accepts."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

from modules.users.schemas import NO_CONTROL_CHARACTERS, display_name, display_name_pattern

from .conftest import UsersClient
from .helpers import USERS

POLICY = {"password_min_length": 10, "password_max_length": 20}


async def _schemas(users_client: UsersClient, config: dict[str, Any]) -> dict[str, Any]:
    async with users_client(config) as client:
        document = (await client.get("/openapi.json")).json()
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


@pytest.mark.parametrize("config", [{}, POLICY])
async def test_the_document_states_the_configured_password_policy(
    users_client: UsersClient, config: dict[str, int]
) -> None:
    low, high = config.get("password_min_length", 8), config.get("password_max_length", 128)
    schemas = await _schemas(users_client, config)
    chosen = [
        schemas["UserCreate"]["properties"]["password"],
        schemas["PasswordChange"]["properties"]["new_password"],
    ]
    for password in chosen:
        assert (password["minLength"], password["maxLength"]) == (low, high)
        assert password["pattern"] == NO_CONTROL_CHARACTERS
    # The current password may predate the policy: only the hard cap.
    current = schemas["PasswordChange"]["properties"]["current_password"]
    assert "minLength" not in current


@pytest.mark.parametrize(
    ("password", "status"),
    [
        ("x" * 10, 201),
        ("x" * 9, 422),
        ("x" * 20, 201),
        ("x" * 21, 422),
        # Ten code points as sent, as the document counts them; five letters after NFKC.
        ("e\u0301" * 5, 201),
        ("tab\there-ok", 422),
    ],
)
async def test_the_server_accepts_what_the_document_allows(
    users_client: UsersClient, password: str, status: int
) -> None:
    documented = 10 <= len(password) <= 20 and re.search(NO_CONTROL_CHARACTERS, password)
    assert bool(documented) == (status == 201)
    async with users_client(POLICY) as client:
        response = await client.post(USERS, json={"email": "p@example.com", "password": password})
    assert response.status_code == status, response.text


async def test_every_422_has_the_same_title(users_client: UsersClient) -> None:
    async with users_client() as client:
        malformed = await client.post(USERS, json={"email": "v@example.com"})
        too_short = await client.post(USERS, json={"email": "v@example.com", "password": "short"})
    assert (malformed.status_code, too_short.status_code) == (422, 422)
    assert malformed.json()["title"] == too_short.json()["title"] == "Unprocessable Content"


async def test_fields_that_refuse_null_are_not_documented_as_nullable(
    users_client: UsersClient,
) -> None:
    schemas = await _schemas(users_client, {})
    assert schemas["UserUpdateMe"]["properties"]["email"]["type"] == "string"
    for flag in ("is_active", "is_superuser", "is_verified"):
        assert schemas["UserUpdate"]["properties"][flag]["type"] == "boolean"
    # A name may be cleared, so null stays.
    assert {"type": "null"} in schemas["UserUpdateMe"]["properties"]["full_name"]["anyOf"]


def _boundaries() -> list[str]:
    """Every character next to a change of `display_name`'s verdict, and some plain ones."""
    chars = ["a", "é", "\u4e2d", "\U0001f600"]
    previous = None
    for code in range(sys.maxunicode + 1):
        verdict = _accepted(chr(code))
        if verdict != previous:
            chars += [chr(code - 1), chr(code)] if code else [chr(code)]
        previous = verdict
    return chars


def _accepted(value: str) -> bool:
    try:
        display_name(value)
    except ValueError:
        return False
    return True


def test_the_display_name_pattern_agrees_with_the_validator() -> None:
    pattern = re.compile(display_name_pattern())
    for char in _boundaries():
        for value in (char, f" {char} ", f"a{char}"):
            if 0xD800 <= ord(char) <= 0xDFFF:
                continue  # no JSON text carries a lone surrogate; the edge refuses it (422)
            assert (pattern.search(value) is not None) == _accepted(value), repr(value)
