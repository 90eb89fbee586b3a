"""The one error plugin loading raises: reported as a single line, without a traceback."""

from __future__ import annotations


class ConfigError(Exception):
    """A start-up configuration problem, reported as one line without a traceback."""
