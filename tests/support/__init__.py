"""Helpers shared by tests that are not fixtures."""
