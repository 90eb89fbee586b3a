"""The test kit's own promises, through the fixtures a module team gets from the plugin."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from core.settings import Settings
from core.testing import ClientFactory, EventRecorder

USERS = {"users": {"bcrypt_rounds": 4}}


async def test_a_modules_event_is_awaited_with_its_data(
    make_client: ClientFactory, events: Callable[[str], EventRecorder]
) -> None:
    created = events("user_created")
    async with make_client(["users"], USERS) as client:
        response = await client.post(
            "/api/v1/users", json={"email": "kit@example.com", "password": "correct horse"}
        )
    assert response.status_code == 201
    delivery = await created.wait()
    assert dict(delivery) == {"user_id": UUID(response.json()["id"])}


async def test_waiting_for_an_event_that_never_comes_fails_clearly(
    make_client: ClientFactory, events: Callable[[str], EventRecorder]
) -> None:
    deleted = events("user_deleted")
    async with make_client(["users"], USERS):
        with pytest.raises(AssertionError, match=r"no user_deleted #1 within 0\.05s"):
            await deleted.wait(within=0.05)


def test_recording_an_event_nobody_publishes_is_an_error(
    events: Callable[[str], EventRecorder],
) -> None:
    with pytest.raises(LookupError, match="no installed module publishes the event 'nope'"):
        events("nope")


@pytest.mark.parametrize("run", ["first", "second"])
async def test_each_test_starts_from_clean_tables(make_client: ClientFactory, run: str) -> None:
    """Both runs register the same address: the second gets 409 if the first's row leaked."""
    async with make_client(["users"], USERS) as client:
        response = await client.post(
            "/api/v1/users", json={"email": "once@example.com", "password": "correct horse"}
        )
    assert response.status_code == 201, f"{run} run: {response.text}"


def test_settings_are_isolated_per_test(settings: Settings) -> None:
    assert settings.cache_prefix.startswith("test:")
    assert settings.auto_migrate is False
