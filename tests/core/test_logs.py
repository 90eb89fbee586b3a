"""Logging: a module's own logger works with no set-up, like the core's, request id included."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from core.logs import configure_logging, package_logger
from core.testing import TEST_SECRET
from tests.fixtures.gamma import GammaPlugin
from tests.support.packages import write_distribution
from tests.support.processes import free_port, stop, wait_until_up

ACME_PLUGIN = """
import logging

from fastapi import APIRouter

from core import ModuleInfo, Mount, hookimpl

router = APIRouter(prefix="/memos", tags=["memos"])
log = logging.getLogger("acme_memos")


@router.post("", status_code=201)
async def save_memo() -> dict[str, bool]:
    log.info("memo saved")
    log.debug("below LOG_LEVEL")
    logging.getLogger("acme_chatty_library").info("library chatter")
    return {"saved": True}


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="memos", version="2.1")


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]
"""

ASCTIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"


def log_line(level: str, name: str, request_id: str, message: str) -> re.Pattern[str]:
    """One whole line in core.logs.FORMAT: asctime levelname name [request_id] message."""
    fields = " ".join(re.escape(field) for field in (level, name, f"[{request_id}]", message))
    return re.compile(f"^{ASCTIME} {fields}$", re.MULTILINE)


# `trellis serve` builds the app once before uvicorn configures its logging; plain uvicorn after.
SERVERS = [
    pytest.param(["-m", "core.cli", "serve"], id="trellis-serve"),
    pytest.param(["-m", "uvicorn", "core.app:create_app", "--factory"], id="uvicorn"),
]


@pytest.fixture(params=SERVERS)
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """A server with health and acme_memos enabled: base URL, process, stderr file."""
    site = tmp_path / "site"
    write_distribution(site, "acme-memos", "2.1", "memos", ACME_PLUGIN)
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('enabled = ["health", "memos"]\n')
    # A clean environment: no DATABASE_URL, REDIS_URL or LOG_LEVEL leaking in from the outside.
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=TEST_SECRET,
        LOG_LEVEL="INFO",
    )
    port = free_port()
    stderr = tmp_path / "stderr.log"
    command = [sys.executable, *request.param, "--port", str(port)]
    with stderr.open("wb") as errors, (tmp_path / "stdout.log").open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=tmp_path, env=env, stdout=output, stderr=errors
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, url, stderr)
        yield url, process, stderr
    finally:
        stop(process)


def test_a_third_party_modules_lines_come_out_like_the_cores(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    url, process, stderr = served
    response = httpx.post(f"{url}/api/v1/memos", headers={"X-Request-ID": "abc123"}, timeout=5)
    assert response.status_code == 201, response.text
    stop(process)  # everything it logged is flushed

    output = stderr.read_text()
    assert log_line("INFO", "acme_memos", "abc123", "memo saved").search(output), output
    enabled = log_line("INFO", "trellis", "-", "modules enabled: health, memos")
    assert len(enabled.findall(output)) == 1, output  # not again for serve's own check
    assert "below LOG_LEVEL" not in output
    assert "library chatter" not in output  # the root stays at WARNING
    # uvicorn's own lines keep uvicorn's handler, once each: they do not reach the root's.
    assert output.count("Application startup complete.") == 1


def test_package_logger_is_the_plugins_top_level_package(tmp_path: Path) -> None:
    assert package_logger(ModuleType("acme_memos.plugin")) == "acme_memos"
    assert package_logger(ModuleType("modules.health.plugin")) == "modules"
    assert package_logger(GammaPlugin(tmp_path)) == "tests"
    assert package_logger(GammaPlugin) == "tests"


@contextmanager
def bare_root() -> Iterator[logging.Logger]:
    """The root logger as a process without any logging set-up has it.

    Entered in the test body: pytest adds its capture handlers to the root around each call.
    """
    root = logging.getLogger()
    handlers, core_level = root.handlers, logging.getLogger("trellis").level
    root.handlers = []
    try:
        yield root
    finally:
        root.handlers = handlers
        logging.getLogger("trellis").setLevel(core_level)


def test_one_root_handler_however_many_apps_are_built() -> None:
    with bare_root() as root:
        configure_logging("info", module_loggers=["acme_once"])
        configure_logging("debug", module_loggers=["acme_once"])

        [handler] = root.handlers
        assert logging.getLogger("acme_once").level == logging.DEBUG
        assert logging.getLogger("trellis").level == logging.DEBUG
    record = logging.makeLogRecord({"name": "acme_once", "levelname": "INFO", "msg": "hi"})
    assert handler.filter(record)
    assert handler.format(record).endswith(" INFO acme_once [-] hi")


def test_a_set_up_made_by_someone_else_is_left_alone() -> None:
    theirs = logging.NullHandler()
    with bare_root() as root:
        root.addHandler(theirs)
        configure_logging("info", module_loggers=["acme_deferring"])

        assert root.handlers == [theirs]
        assert logging.getLogger("acme_deferring").level == logging.INFO
