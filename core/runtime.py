"""What a running Trellis holds: settings, modules, database, cache, mailer. One per app."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.cache import Cache, create_cache
from core.db import create_engine, create_read_sessionmaker, create_sessionmaker, transaction
from core.host import Host
from core.mail import Mailer, MailSettings, create_mailer
from core.settings import Settings

SettingsT = TypeVar("SettingsT", bound=BaseModel)


@dataclass(frozen=True)
class Runtime:
    """Built by `create_app()`; reached from handlers through `core.deps`."""

    settings: Settings
    host: Host
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    cache: Cache
    secret_key: str
    mailer: Mailer

    @classmethod
    def build(cls, settings: Settings, host: Host, *, mail: MailSettings | None = None) -> Runtime:
        """`mail` defaults to `MailSettings()` from the environment, as deployments set SMTP."""
        engine = create_engine(settings)
        return cls(
            settings=settings,
            host=host,
            engine=engine,
            sessions=create_sessionmaker(engine),
            read_sessions=create_read_sessionmaker(engine),
            cache=create_cache(settings.redis_url, prefix=settings.cache_prefix),
            secret_key=settings.signing_key(),
            mailer=create_mailer(mail or MailSettings(), production=settings.is_production),
        )

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work outside a request (CLI, start-up): commits on success."""
        return transaction(self.sessions)

    def settings_for(self, model: type[SettingsT]) -> SettingsT:
        return self.host.settings_for(model)

    async def close(self) -> None:
        await self.mailer.close()  # first: pending mail may still be retrying
        await self.cache.close()
        await self.engine.dispose()
