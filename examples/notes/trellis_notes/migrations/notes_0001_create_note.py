"""notes: the notes_note table.

Revision ID: notes_0001
Revises:
Create Date: 2027-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notes_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notes",)
# notes_note refers to users_user: the users branch must have created it first.
depends_on: str | Sequence[str] | None = ("core_0001", "users_0001")


def upgrade() -> None:
    op.create_table(
        "notes_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=10000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_notes_note_owner_id"), "notes_note", ["owner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notes_note_owner_id"), table_name="notes_note")
    op.drop_table("notes_note")
