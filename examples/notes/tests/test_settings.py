"""`[modules.notes]`: a limit on notes per user, and settings checked at start-up."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import ConfigError
from core.testing import ClientFactory, TrellisClient
from modules.auth.testing import Account

NOTES = "/api/v1/notes"
PLUGINS_TOML = Path(__file__).parents[1] / "plugins.toml"


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[TrellisClient]:
    """An app whose users may keep two notes each."""
    settings = {"users": {"bcrypt_rounds": 4}, "notes": {"max_notes_per_user": 2}}
    async with make_client(["users", "auth", "notes"], settings) as client:
        yield client


async def test_a_note_over_the_limit_is_a_409(client: TrellisClient, user: Account) -> None:
    first, _second = [
        (await client.post(NOTES, json={"title": title}, headers=user.headers)).json()["id"]
        for title in ("one", "two")
    ]
    refused = await client.post(NOTES, json={"title": "three"}, headers=user.headers)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Too many notes"
    assert (await client.get(NOTES, headers=user.headers)).json()["total"] == 2

    await client.delete(f"{NOTES}/{first}", headers=user.headers)
    again = await client.post(NOTES, json={"title": "three"}, headers=user.headers)
    assert again.status_code == 201


async def test_a_bad_setting_stops_start_up(make_client: ClientFactory) -> None:
    with pytest.raises(ConfigError, match=r"\[modules\.notes\] max_notes_per_user"):
        async with make_client(["users", "notes"], {"notes": {"max_notes_per_user": 0}}):
            pass


async def test_notes_needs_the_users_module(make_client: ClientFactory) -> None:
    with pytest.raises(ConfigError, match="'notes' requires 'users', which is not enabled"):
        async with make_client(["notes"]):
            pass


async def test_the_sample_plugins_toml_starts(make_client: ClientFactory) -> None:
    config = tomllib.loads(PLUGINS_TOML.read_text())
    async with make_client(config["enabled"], config["modules"]) as client:
        assert (await client.get("/health")).status_code == 200
