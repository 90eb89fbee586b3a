"""Fixtures of the core's task tests: the test-only `jobs` module and where its tasks write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.packages import Site, site_packages
from tests.support.task_module import JOBS_PLUGIN


@pytest.fixture
def jobs_site(tmp_path: Path) -> Iterator[Site]:
    """The `acme-jobs` distribution (module `jobs`), installed for this test only."""
    with site_packages(tmp_path / "site") as site:
        site.install("acme-jobs", "1.0", jobs=JOBS_PLUGIN)
        yield site


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    """Where the `jobs` module's tasks leave a line each time they run."""
    folder = tmp_path / "traces"
    folder.mkdir()
    return folder
