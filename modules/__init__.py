"""Trellis's built-in modules; each plugs in through the same hooks as a third-party one."""
