"""roles: roles_role, roles_permission, roles_grant, and the built-in roles.

Revision ID: roles_0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa
from alembic import op

revision: str = "roles_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("roles",)
# roles_grant refers to users_user: the users branch must have created it first.
depends_on: str | Sequence[str] | None = ("core_0001", "users_0001")

# The built-in roles: ordinary rows from here on, which operators may change or delete.
# Permissions of modules that are not enabled are kept, dormant, until they are.
BUILT_IN = [
    (
        UUID("6e2f4c1a-0b5d-4a8e-9f3c-2d7b1e5a0001"),
        "admin",
        "Administers user accounts and roles, and sees what runs.",
        ["roles:manage", "system:inspect", "users:admin"],
    ),
    (
        UUID("6e2f4c1a-0b5d-4a8e-9f3c-2d7b1e5a0002"),
        "user-manager",
        "Administers user accounts (not superusers).",
        ["users:admin"],
    ),
]


def upgrade() -> None:
    role = op.create_table(
        "roles_role",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_roles_role_name"), "roles_role", ["name"], unique=True)
    permission = op.create_table(
        "roles_permission",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["roles_role.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("role_id", "permission"),
    )
    op.create_index(
        op.f("ix_roles_permission_permission"), "roles_permission", ["permission"], unique=False
    )
    op.create_table(
        "roles_grant",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["roles_role.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_id"),
    )
    op.create_index(op.f("ix_roles_grant_role_id"), "roles_grant", ["role_id"], unique=False)
    now = datetime.now(UTC)
    op.bulk_insert(
        role,
        [
            {"id": id_, "name": name, "description": text, "created_at": now, "updated_at": now}
            for id_, name, text, _ in BUILT_IN
        ],
    )
    op.bulk_insert(
        permission,
        [{"role_id": id_, "permission": name} for id_, _, _, names in BUILT_IN for name in names],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_roles_grant_role_id"), table_name="roles_grant")
    op.drop_table("roles_grant")
    op.drop_index(op.f("ix_roles_permission_permission"), table_name="roles_permission")
    op.drop_table("roles_permission")
    op.drop_index(op.f("ix_roles_role_name"), table_name="roles_role")
    op.drop_table("roles_role")
