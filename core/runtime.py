"""What a running Trellis holds: settings, database, cache, mailer, module settings, events,
and the permissions the enabled modules declare.

One per app. It knows nothing of the plugin host that built it (`core.host.Host.runtime`), so
the hook vocabulary can name it without depending on the container.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.cache import Cache, create_cache
from core.db import create_engine, create_read_sessionmaker, create_sessionmaker, transaction
from core.mail import Mailer, MailSettings, create_mailer
from core.realtime import PubSub, create_pubsub
from core.records import Permission
from core.settings import Settings
from core.tasks.queue import TaskQueue
from core.tasks.spec import Task

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class Publish(Protocol):
    """Deliver a module's event to every enabled subscriber, in module order, one at a time."""

    async def __call__(self, event: str, /, **arguments: object) -> None: ...


class Collect(Protocol):
    """Ask every enabled module implementing an async hook; their answers in module order."""

    async def __call__(self, hook: str, /, **arguments: object) -> list[Any]: ...


@dataclass(frozen=True)
class Runtime:
    """Reached from handlers through `core.deps`, from hooks as their `runtime` argument."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    cache: Cache
    secret_key: str
    mailer: Mailer
    module_settings: Mapping[type[BaseModel], BaseModel]
    publish: Publish
    collect: Collect
    permissions: Mapping[str, Permission]  # what the enabled modules declare, by name
    pubsub: PubSub  # channels every instance shares: Redis with REDIS_URL, else in-process
    tasks: TaskQueue  # the enabled modules' background tasks: `await runtime.tasks.enqueue(...)`

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        module_settings: Mapping[type[BaseModel], BaseModel],
        publish: Publish,
        collect: Collect,
        permissions: Mapping[str, Permission],
        mail: MailSettings | None = None,
        tasks: Mapping[str, Task] | None = None,
    ) -> Runtime:
        """`mail` defaults to `MailSettings()` from the environment, as deployments set SMTP."""
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            read_sessions=create_read_sessionmaker(engine),
            cache=create_cache(
                settings.redis_url, prefix=settings.cache_prefix, timeout=settings.cache_timeout
            ),
            secret_key=settings.signing_key(),
            mailer=create_mailer(mail or MailSettings(), production=settings.is_production),
            module_settings=module_settings,
            publish=publish,
            collect=collect,
            permissions=permissions,
            pubsub=create_pubsub(
                settings.redis_url, prefix=settings.cache_prefix, timeout=settings.cache_timeout
            ),
            tasks=TaskQueue(tasks or {}),
        )

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work outside a request (CLI, start-up): commits on success."""
        return transaction(self.sessions)

    def settings_for(self, model: type[SettingsT]) -> SettingsT:
        """The validated `[modules.<name>]` settings of the module that declared `model`."""
        value = self.module_settings[model]
        assert isinstance(value, model)
        return value

    async def rights_of(
        self, session: AsyncSession, principal_ids: Collection[UUID]
    ) -> dict[UUID, frozenset[str]]:
        """The rights the enabled modules grant each principal (hook `rights_of`), merged.

        Grants of a disabled module's permissions are included: no route can require them
        while it is disabled (start-up refuses such a route), and they count again, on every
        instance alike, once it is enabled. What to show a caller: `permissions`.
        """
        wanted = frozenset(principal_ids)
        merged: dict[UUID, set[str]] = {principal: set() for principal in wanted}
        answers = await self.collect(
            "rights_of", runtime=self, session=session, principal_ids=wanted
        )
        for granted in answers:
            for principal, rights in granted.items():
                if principal in merged:
                    merged[principal].update(rights)
        return {principal: frozenset(rights) for principal, rights in merged.items()}

    async def roles_of(self, session: AsyncSession, principal_id: UUID) -> list[str]:
        """The names of the roles the enabled modules give the principal (hook `roles_of`)."""
        answers = await self.collect(
            "roles_of", runtime=self, session=session, principal_id=principal_id
        )
        return sorted({name for names in answers for name in names})

    async def claims_of(
        self, session: AsyncSession, principal_ids: Collection[UUID]
    ) -> dict[UUID, dict[str, object]]:
        """What the enabled modules say about each principal (hook `principal_claims`), merged."""
        wanted = frozenset(principal_ids)
        merged: dict[UUID, dict[str, object]] = {principal: {} for principal in wanted}
        answers = await self.collect(
            "principal_claims", runtime=self, session=session, principal_ids=wanted
        )
        for said in answers:
            for principal, claims in said.items():
                if principal in merged:
                    merged[principal].update(claims)
        return merged

    async def close(self) -> None:
        await self.mailer.close()  # first: pending mail may still be retrying
        await self.pubsub.close()
        await self.cache.close()
        await self.engine.dispose()
