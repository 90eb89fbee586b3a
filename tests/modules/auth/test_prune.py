"""`trellis auth prune`: ended sessions, expired refresh tokens and spent links are deleted."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlmodel import col
from typer.testing import CliRunner, Result

from core.cli import CliOptions, create_root
from core.db import create_engine
from core.host import Host
from core.settings import Settings
from core.testing import plugins
from core.timestamps import utcnow
from modules.auth.account_email.models import ActionToken, Purpose
from modules.auth.models import AuthSession, RefreshToken
from modules.auth.tokens import hash_refresh_token

from .support import (
    MODULES,
    app_and_client,
    bearer,
    claims_of,
    module_settings,
    refresh,
    register,
    tokens,
)

EMAIL = "ann@example.com"
LONG_AGO = timedelta(days=8)  # beyond the default of 7 days
LATELY = timedelta(days=3)


@dataclass(frozen=True)
class Seeded:
    """Session ids by what happened to them, and the live session's three refresh tokens."""

    sessions: dict[str, UUID]
    first: str  # rotated, and expired long ago
    second: str  # rotated, not expired: kept to detect reuse
    current: str
    links: dict[str, str]


def trellis(settings: Settings, *args: str, **auth: Any) -> Result:
    options = CliOptions(settings=settings, plugins=plugins(MODULES, module_settings(**auth)))
    host = Host.load(settings.plugins_file, config=options.plugins)
    return CliRunner().invoke(create_root(host.commands()), ["auth", "prune", *args], obj=options)


async def _seed(settings: Settings) -> Seeded:
    """Through the API: a live session rotated twice, and sessions ended in each way."""
    async with app_and_client(settings) as (_, client):
        user_id = UUID(await register(client, EMAIL))
        live = await tokens(client, EMAIL)
        second = (await refresh(client, live["refresh_token"])).json()
        current = (await refresh(client, second["refresh_token"])).json()
        pairs = {name: await tokens(client, EMAIL) for name in _ENDED}
        for name in ("logged_out", "revoked_long_ago"):
            headers = bearer(pairs[name]["access_token"])
            assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    sessions = {"live": _sid(current)} | {name: _sid(pair) for name, pair in pairs.items()}
    now = utcnow()
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(AuthSession)
                .where(col(AuthSession.id) == sessions["revoked_long_ago"])
                .values(revoked_at=now - LONG_AGO)
            )
            for name, ago in (("expired_long_ago", LONG_AGO), ("expired_lately", LATELY)):
                await connection.execute(
                    update(AuthSession)
                    .where(col(AuthSession.id) == sessions[name])
                    .values(expires_at=now - ago)
                )
                await connection.execute(
                    update(RefreshToken)
                    .where(col(RefreshToken.session_id) == sessions[name])
                    .values(expires_at=now - ago)
                )
            await connection.execute(
                update(RefreshToken)
                .where(col(RefreshToken.token_hash) == hash_refresh_token(live["refresh_token"]))
                .values(expires_at=now - LONG_AGO)
            )
            links = {"live": "a" * 64, "used": "b" * 64, "expired": "c" * 64}
            for name, token_hash in links.items():
                await connection.execute(
                    insert(ActionToken).values(
                        token_hash=token_hash,
                        user_id=user_id,
                        purpose=Purpose.reset,
                        email=EMAIL,
                        created_at=now - LATELY,
                        expires_at=now + (-timedelta(minutes=1) if name == "expired" else LATELY),
                        used_at=now if name == "used" else None,
                    )
                )
    finally:
        await engine.dispose()
    return Seeded(
        sessions=sessions,
        first=live["refresh_token"],
        second=second["refresh_token"],
        current=current["refresh_token"],
        links=links,
    )


_ENDED = ("logged_out", "revoked_long_ago", "expired_long_ago", "expired_lately")


def _sid(pair: dict[str, Any]) -> UUID:
    return UUID(claims_of(pair["access_token"])["sid"])


async def _rows(settings: Settings) -> tuple[set[UUID], set[str], set[str]]:
    """Session ids, refresh-token hashes and action-token hashes in the database."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            sessions = set((await connection.execute(select(col(AuthSession.id)))).scalars())
            refresh_tokens = set(
                (await connection.execute(select(col(RefreshToken.token_hash)))).scalars()
            )
            links = set((await connection.execute(select(col(ActionToken.token_hash)))).scalars())
    finally:
        await engine.dispose()
    return sessions, refresh_tokens, links


async def _go_on_then_replay(settings: Settings, seeded: Seeded) -> list[int]:
    """Refresh the live session, replay its kept retired token, then try the new pair."""
    no_grace = {"refresh_reuse_grace_seconds": 0}
    async with app_and_client(settings, no_grace) as (_, client):
        rotated = await refresh(client, seeded.current)
        replayed = await refresh(client, seeded.second)
        after = await refresh(client, rotated.json()["refresh_token"])
    return [rotated.status_code, replayed.status_code, after.status_code]


def test_prune_deletes_what_ended_over_a_week_ago_and_spent_links(settings: Settings) -> None:
    seeded = asyncio.run(_seed(settings))

    result = trellis(settings)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Removed 2 session(s)",
        "Removed 3 refresh token(s)",  # two ended sessions' tokens and the live one's first
        "Removed 2 action token(s)",
    ]
    sessions, refresh_tokens, links = asyncio.run(_rows(settings))
    kept = {"live", "logged_out", "expired_lately"}
    assert sessions == {seeded.sessions[name] for name in kept}
    assert hash_refresh_token(seeded.first) not in refresh_tokens
    assert {hash_refresh_token(seeded.second), hash_refresh_token(seeded.current)} <= refresh_tokens
    assert len(refresh_tokens) == 4  # and one each for logged_out and expired_lately
    assert links == {seeded.links["live"]}
    # The live session goes on, and a replayed retired token still revokes its family.
    assert asyncio.run(_go_on_then_replay(settings, seeded)) == [200, 401, 401]


def test_older_than_days_zero_deletes_everything_ended(settings: Settings) -> None:
    seeded = asyncio.run(_seed(settings))

    result = trellis(settings, "--older-than-days", "0")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Removed 4 session(s)"
    sessions, refresh_tokens, _ = asyncio.run(_rows(settings))
    assert sessions == {seeded.sessions["live"]}
    assert refresh_tokens == {hash_refresh_token(seeded.second), hash_refresh_token(seeded.current)}
    again = trellis(settings, "--older-than-days", "0")
    assert again.stdout.splitlines() == [
        "Removed 0 session(s)",
        "Removed 0 refresh token(s)",
        "Removed 0 action token(s)",
    ]


def test_the_default_age_is_the_configured_one(settings: Settings) -> None:
    asyncio.run(_seed(settings))

    result = trellis(settings, prune_older_than_days=0)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Removed 4 session(s)"


def test_a_negative_age_is_a_usage_error(settings: Settings) -> None:
    result = trellis(settings, "--older-than-days", "-1")
    assert result.exit_code == 2
    assert "older-than-days" in result.output
