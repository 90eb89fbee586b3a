"""`jobs`: a third-party-shaped module with background tasks, for the task engine's tests.

Its tasks leave their traces as files in `[modules.jobs] folder`, which the test reads,
whichever process (the API, a Celery worker) ran them:

- `jobs.note` appends its `text` to `note.log`; `POST /api/v1/jobs/notes?text=...` enqueues
  it, and with `&fail=true` fails after enqueueing (409), so its transaction rolls back;
- `jobs.flaky` fails until `flaky.ok` exists, then appends "ok" to `flaky.log`; it is retried
  twice, then a dead letter; `POST /api/v1/jobs/flaky` enqueues it;
- `jobs.tick` runs every second and appends a line to `tick.log`.
"""

from __future__ import annotations

JOBS_PLUGIN = """
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core import ModuleInfo, Mount, ProblemError, Runtime, RuntimeDep, SessionDep, Task, hookimpl


class JobsConfig(BaseModel):
    folder: str = "."


class Refused(ProblemError):
    status = 409
    title = "Refused after enqueueing"


def folder(runtime: Runtime) -> Path:
    return Path(runtime.settings_for(JobsConfig).folder)


def append(runtime: Runtime, name: str, line: str) -> None:
    with (folder(runtime) / name).open("a") as log:
        log.write(line + "\\n")


async def note(runtime: Runtime, session: AsyncSession, *, text: str) -> None:
    append(runtime, "note.log", text)


async def flaky(runtime: Runtime, session: AsyncSession) -> None:
    if not (folder(runtime) / "flaky.ok").exists():
        raise RuntimeError("not yet")
    append(runtime, "flaky.log", "ok")


async def tick(runtime: Runtime, session: AsyncSession) -> None:
    append(runtime, "tick.log", "tick")


router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/notes", status_code=202)
async def post_note(
    runtime: RuntimeDep, session: SessionDep, text: str, fail: bool = False
) -> dict[str, str]:
    task_id = await runtime.tasks.enqueue(session, "jobs.note", text=text)
    if fail:
        raise Refused("refused on purpose")
    return {"id": str(task_id)}


@router.post("/flaky", status_code=202)
async def post_flaky(runtime: RuntimeDep, session: SessionDep) -> dict[str, str]:
    return {"id": str(await runtime.tasks.enqueue(session, "jobs.flaky"))}


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="jobs", version="1.0", description="Tests.", settings=JobsConfig)


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]


@hookimpl
def register_tasks() -> list[Task]:
    return [
        Task("jobs.note", run=note),
        Task("jobs.flaky", run=flaky, retries=2, backoff=0.05),
        Task("jobs.tick", run=tick, every=timedelta(seconds=1)),
    ]
"""
