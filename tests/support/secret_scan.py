"""The whole suite's logs never carry a password, a token, a reset link or an Authorization
value (a pytest plugin, loaded by tests/conftest.py).

The suite runs with LOG_LEVEL=DEBUG. Every record the app's side emits, in any test, is
searched for the passwords the suite's own modules use, the test signing key, anything shaped
like a JWT or a bearer credential, and link tokens; a hit fails the run at its end, naming
the test and the logger. Records of the test's own side (its HTTP client, its SMTP server)
are not the app's logs. The one exception is by design: the development console mailer, whose
job is to show the mail it did not send (production withholds the body).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from core.testing import TEST_SECRET

TESTS = Path(__file__).parents[1]
TEST_SIDE = ("httpx", "httpcore", "mail.log", "asyncio", "aiosmtpd")
_TRACEBACKS = logging.Formatter()
SHAPES = {
    "a JWT": re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]+"),
    "a bearer credential": re.compile(r"Bearer [\w.~+/-]{8,}"),
    "a link token": re.compile(r"[?&]token=[\w.~-]{16,}"),
}


def suite_passwords() -> set[str]:
    """Every password literal the suite assigns to a *PASSWORD* name (at least 8 characters)."""
    assignment = re.compile(r"""^\s*\w*PASSWORD\w*\s*(?::\s*\w+\s*)?=\s*["']([^"']{8,})["']""")
    found: set[str] = set()
    for path in TESTS.rglob("*.py"):
        for line in path.read_text().splitlines():
            if match := assignment.match(line):
                found.add(match[1])
    return found


class SecretScan(logging.Handler):
    """Remembers each record of the app's side that shows a secret, with the running test."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.literals = {"the test signing key": TEST_SECRET}
        self.literals |= {f"the password {p!r}": p for p in suite_passwords()}
        self.test = "(no test)"
        self.hits: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(TEST_SIDE) or record.module == "console":
            return
        text = record.getMessage()
        if record.exc_info:
            text += _TRACEBACKS.formatException(record.exc_info)
        found = [name for name, literal in self.literals.items() if literal in text]
        found += [name for name, shape in SHAPES.items() if shape.search(text)]
        if found:
            self.hits.append(f"{self.test}: {record.name} logged {', '.join(found)}")


SCAN = SecretScan()


def pytest_configure(config: pytest.Config) -> None:
    os.environ["LOG_LEVEL"] = "DEBUG"  # Settings() of every app the suite builds
    logging.getLogger().addHandler(SCAN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    SCAN.test = item.nodeid
    return (yield)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SCAN.hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SCAN.hits:
        terminalreporter.section("secrets in the logs", red=True)
        for hit in SCAN.hits:
            terminalreporter.line(hit)
    else:
        terminalreporter.line("secret scan: no secret in the app's logs of the whole suite")
