"""Private notes: each note belongs to the user who wrote it, and only they may see it.

Other modules react to its event `note_created` (see `hookspecs.py`) rather than importing it:
it has no public surface.
"""

__all__: list[str] = []
