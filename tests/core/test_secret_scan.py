"""The suite-wide secret scan (tests/support/secret_scan.py) would catch a leak."""

from __future__ import annotations

import logging

import pytest

from tests.support.secret_scan import SCAN


@pytest.mark.parametrize(
    ("message", "what"),
    [
        ("issued eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "a JWT"),
        ("header Authorization: Bearer abcdefgh12345678", "a bearer credential"),
        ("link https://app.test/reset-password?token=0123456789abcdef0123", "a link token"),
        ("hashing 'correct horse battery'", "the password 'correct horse battery'"),
    ],
)
def test_a_secret_in_an_app_log_is_caught(message: str, what: str) -> None:
    before = len(SCAN.hits)
    logging.getLogger("trellis.secret-scan-test").warning(message)
    caught = SCAN.hits[before:]
    del SCAN.hits[before:]  # planted on purpose: not a leak of the suite
    assert len(caught) == 1
    assert what in caught[0]


def test_the_test_sides_own_logs_are_not_the_apps() -> None:
    before = len(SCAN.hits)
    logging.getLogger("httpx").warning("Bearer abcdefgh12345678")
    assert SCAN.hits[before:] == []


def test_a_secret_in_a_logged_traceback_is_caught() -> None:
    before = len(SCAN.hits)
    try:
        raise RuntimeError("Bearer abcdefgh12345678")
    except RuntimeError:
        logging.getLogger("trellis.secret-scan-test").exception("failed")
    caught = SCAN.hits[before:]
    del SCAN.hits[before:]
    assert len(caught) == 1
