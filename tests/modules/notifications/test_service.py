"""Notifications leave only after their transaction commits, in order, revocations last."""

from __future__ import annotations

import asyncio
import contextlib
from uuid import uuid4

import pytest

from core.testing import TrellisClient
from modules.notifications import notify
from modules.notifications.service import account_updated, channel_of, session_revoked


class RolledBack(Exception):
    pass


async def test_a_rolled_back_transaction_announces_nothing(client: TrellisClient) -> None:
    runtime, user_id = client.runtime, uuid4()
    async with runtime.pubsub.subscribe(channel_of(user_id)) as messages:
        with contextlib.suppress(RolledBack):
            async with runtime.transaction() as session:
                notify(runtime=runtime, session=session, user_id=user_id, message={"type": "no"})
                raise RolledBack
        async with runtime.transaction() as session:
            notify(runtime=runtime, session=session, user_id=user_id, message={"type": "yes"})
        async with asyncio.timeout(5):
            assert await anext(messages) == {"type": "yes"}


async def test_revocations_go_last_and_secret_field_names_never(client: TrellisClient) -> None:
    runtime, user_id = client.runtime, uuid4()
    async with runtime.pubsub.subscribe(channel_of(user_id)) as messages:
        async with runtime.transaction() as session:
            session_revoked(runtime=runtime, session=session, user_id=user_id, session_ids=[])
            changed = {"hashed_password", "email", "is_active"}
            account_updated(runtime=runtime, session=session, user_id=user_id, changed=changed)
        async with asyncio.timeout(5):
            first, second = await anext(messages), await anext(messages)
    assert first == {"type": "account.updated", "fields": ["email", "is_active"]}
    assert second["type"] == "session.revoked"


async def test_a_notification_needs_a_type(client: TrellisClient) -> None:
    runtime = client.runtime
    async with runtime.transaction() as session:
        with pytest.raises(ValueError, match="type"):
            notify(runtime=runtime, session=session, user_id=uuid4(), message={"text": "hi"})
