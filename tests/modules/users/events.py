"""A TEST-ONLY module recording the user events the users module emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import ModuleInfo, hookimpl
from core.runtime import Runtime
from modules.users import get_user


@dataclass(frozen=True)
class Event:
    name: str
    user_id: UUID
    changed: frozenset[str] = frozenset()
    row_exists: bool = True


@dataclass(eq=False)  # pluggy keeps plugins in sets
class EventRecorder:
    name: str = "event-recorder"
    events: list[Event] = field(default_factory=list)

    def of(self, user_id: UUID) -> list[Event]:
        return [event for event in self.events if event.user_id == user_id]

    @hookimpl
    def module_info(self) -> ModuleInfo:
        return ModuleInfo(name=self.name, version="0", requires=("users",))

    @hookimpl
    async def user_created(self, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
        self.events.append(Event("created", user_id))

    @hookimpl
    async def user_updated(
        self, runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
    ) -> None:
        self.events.append(Event("updated", user_id, changed))

    @hookimpl
    async def user_deleted(self, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
        exists = await get_user(session=session, user_id=user_id) is not None
        self.events.append(Event("deleted", user_id, row_exists=exists))

    @hookimpl
    async def user_password_changed(
        self, runtime: Runtime, session: AsyncSession, user_id: UUID
    ) -> None:
        self.events.append(Event("password_changed", user_id))
