"""The users module."""
