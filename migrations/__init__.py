"""The Alembic environment shared by every module; each module ships its own revisions."""
