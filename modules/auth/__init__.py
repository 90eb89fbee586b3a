"""The auth module."""
