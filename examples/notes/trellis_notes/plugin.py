"""Wiring of the notes module."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core import ModuleInfo, Mount, Permission, Runtime, Task, hookimpl

from trellis_notes import hookspecs, service, tasks
from trellis_notes.config import NotesConfig
from trellis_notes.dependencies import MODERATE
from trellis_notes.models import Note
from trellis_notes.router import router

MODULE = ModuleInfo(
    name="notes",
    version=version("trellis-notes"),  # one source of truth: pyproject.toml
    description="Private notes, each visible to its owner only.",
    requires=("users>=0.1",),
    settings=NotesConfig,
    core=">=0.1,<0.2",
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_hookspecs() -> ModuleType:
    return hookspecs


@hookimpl
def register_models() -> list[type[SQLModel]]:
    return [Note]


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def register_tasks() -> list[Task]:
    return tasks.TASKS


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission(MODERATE, "See how many notes exist and how many users keep them.")]


@hookimpl
async def user_deleted(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await service.on_user_deleted(session=session, user_id=user_id)
