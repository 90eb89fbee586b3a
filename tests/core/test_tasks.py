"""Background tasks on the embedded default: after commit, never after a rollback, retried,
dead-lettered, retried by an operator, and periodic. Each on both backends."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from core import ModuleInfo, Task, hookimpl
from core.cli import CliOptions, create_root
from core.host import DuplicateContribution, Host
from core.plugins import ConfigError
from core.settings import Settings
from core.tasks.table import task_table
from core.testing import ClientFactory, Tasks, TrellisClient, plugins
from core.testing.schema import differences
from tests.support.packages import Site

FAST = {"task_poll_interval": 0.05, "task_backoff_scale": 0.01}
t = task_table.c


@pytest.fixture
async def jobs(
    jobs_site: Site, make_client: ClientFactory, traces: Path
) -> AsyncIterator[TrellisClient]:
    async with make_client(
        ["jobs"], {"jobs": {"folder": str(traces)}}, settings_override=FAST
    ) as client:
        yield client


async def eventually(check: Callable[[], Any], *, within: float = 15.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within}s")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def rows(client: TrellisClient, name: str) -> list[Any]:
    async with client.runtime.transaction() as session:
        found = await session.execute(select(task_table).where(t.name == name))
        return list(found.all())


async def test_a_task_runs_once_its_request_commits(jobs: TrellisClient, traces: Path) -> None:
    answer = await jobs.post("/api/v1/jobs/notes", params={"text": "hello"})
    assert answer.status_code == 202, answer.text

    await eventually(lambda: lines(traces / "note.log") == ["hello"])
    [row] = await eventually(lambda: rows(jobs, "jobs.note"))
    await eventually(lambda: _status_is(jobs, UUID(answer.json()["id"]), "done"))
    assert row.arguments == {"text": "hello"}


async def test_a_rolled_back_request_enqueues_nothing(jobs: TrellisClient, traces: Path) -> None:
    refused = await jobs.post("/api/v1/jobs/notes", params={"text": "ghost", "fail": "true"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    kept = await jobs.post("/api/v1/jobs/notes", params={"text": "kept"})  # a later one runs

    await eventually(lambda: lines(traces / "note.log") == ["kept"])
    assert [row.id for row in await rows(jobs, "jobs.note")] == [UUID(kept.json()["id"])]


async def test_the_test_kit_waits_until_enqueued_tasks_are_done_or_dead(
    jobs: TrellisClient, traces: Path, tasks: Tasks
) -> None:
    """What a module's own tests use: `tasks.settle()` and `tasks.rows(name)`."""
    await jobs.post("/api/v1/jobs/notes", params={"text": "hello"})
    await jobs.post("/api/v1/jobs/flaky")
    await tasks.settle()

    assert lines(traces / "note.log") == ["hello"]  # run by the time it returned
    [note] = await tasks.rows("jobs.note")
    assert (note.status, note.attempts, note.arguments) == ("done", 1, {"text": "hello"})
    [flaky] = await tasks.rows("jobs.flaky")
    assert (flaky.status, flaky.attempts, flaky.last_error) == ("dead", 3, "RuntimeError: not yet")


async def test_a_failing_task_retries_then_waits_as_a_dead_letter_until_retried(
    jobs: TrellisClient, traces: Path, settings: Settings
) -> None:
    task_id = UUID((await jobs.post("/api/v1/jobs/flaky")).json()["id"])

    dead = await eventually(lambda: _status_is(jobs, task_id, "dead"))
    assert dead.attempts == 3  # the first attempt and `retries=2`
    assert dead.last_error == "RuntimeError: not yet"
    options = CliOptions(
        settings=settings.model_copy(update=FAST),
        plugins=plugins(["jobs"], {"jobs": {"folder": str(traces)}}),
    )
    listed = await _trellis(options, "tasks", "list")
    assert listed.exit_code == 0, listed.output
    assert str(task_id) in listed.stdout
    assert "RuntimeError: not yet" in listed.stdout

    (traces / "flaky.ok").touch()
    retried = await _trellis(options, "tasks", "retry", str(task_id))
    assert retried.stdout == "retried: 1 task(s)\n", retried.output

    await eventually(lambda: lines(traces / "flaky.log") == ["ok"])
    done = await eventually(lambda: _status_is(jobs, task_id, "done"))
    assert done.attempts == 1  # reset by the retry
    assert (await _trellis(options, "tasks", "list")).stdout == "no dead tasks\n"


async def test_retrying_an_unknown_id_is_a_one_line_error(
    jobs: TrellisClient, traces: Path, settings: Settings
) -> None:
    options = CliOptions(
        settings=settings, plugins=plugins(["jobs"], {"jobs": {"folder": str(traces)}})
    )
    missing = "00000000-0000-4000-8000-000000000000"
    result = await _trellis(options, "tasks", "retry", missing)
    assert result.exit_code == 1
    assert result.stderr == f"error: no dead letter has the id {missing}\n"


async def test_a_periodic_task_runs_from_the_lifespan_once_per_interval(
    jobs: TrellisClient, traces: Path
) -> None:
    await eventually(lambda: len(lines(traces / "tick.log")) >= 2)
    ticks = await rows(jobs, "jobs.tick")
    # One row per one-second slot, however many sweeps asked (20 a second here).
    assert len(ticks) == len({row.id for row in ticks}) <= len(lines(traces / "tick.log")) + 1


async def _status_is(client: TrellisClient, task_id: UUID, status: str) -> Any:
    async with client.runtime.transaction() as session:
        row = (await session.execute(select(task_table).where(t.id == task_id))).first()
    return row if row is not None and row.status == status else None


async def _trellis(options: CliOptions, *args: str) -> Result:
    """The CLI in a thread: its commands run their own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, create_root(), list(args), obj=options)


def _tasks_module(name: str, *task_names: str) -> ModuleType:
    plugin = ModuleType(name)

    async def run(runtime: object, session: object) -> None:
        return None

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name=name, version="1.0")

    @hookimpl
    def register_tasks() -> list[Task]:
        return [Task(task_name, run=run) for task_name in task_names]

    plugin.module_info = module_info  # type: ignore[attr-defined]
    plugin.register_tasks = register_tasks  # type: ignore[attr-defined]
    return plugin


def _host(*modules: ModuleType) -> Host:
    names = [module.__name__ for module in modules]
    return Host.load(Path("unused"), config=plugins(names), extra_plugins=modules)


def test_a_task_name_two_modules_declare_stops_start_up() -> None:
    host = _host(_tasks_module("ping", "ping.send", "ping.send"))
    with pytest.raises(DuplicateContribution, match=r"the task 'ping\.send' is contributed by"):
        host.tasks()


@pytest.mark.parametrize("name", ["pong.send", "ping", "ping.Send", "ping.send.more"])
def test_a_task_not_named_after_its_module_stops_start_up(name: str) -> None:
    with pytest.raises(ConfigError, match=f"declares the task '{re.escape(name)}'"):
        _host(_tasks_module("ping", name)).tasks()


def test_tasks_come_in_module_order_then_by_name() -> None:
    host = _host(_tasks_module("zeta", "zeta.b", "zeta.a"), _tasks_module("alef", "alef.x"))
    assert list(host.tasks()) == ["zeta.a", "zeta.b", "alef.x"]


async def test_the_outbox_table_and_its_migration_agree(jobs: TrellisClient) -> None:
    async with jobs.runtime.engine.connect() as connection:
        found = await connection.run_sync(lambda sync: differences(sync, {"trellis_task"}))
    assert found == []
