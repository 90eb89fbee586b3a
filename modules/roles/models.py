"""The roles tables: a role, the permissions it holds, and the users it is granted to."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from core import UTCDateTime, utcnow


class Role(SQLModel, table=True):
    """A named set of permissions; `name` is how the API and the CLI address it."""

    __tablename__ = "roles_role"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    description: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RolePermission(SQLModel, table=True):
    """One permission of a role, by name: kept while its module is disabled, dormant."""

    __tablename__ = "roles_permission"

    role_id: UUID = Field(foreign_key="roles_role.id", ondelete="CASCADE", primary_key=True)
    permission: str = Field(max_length=100, primary_key=True, index=True)


class Grant(SQLModel, table=True):
    """A role granted to a user; the database drops it with either."""

    __tablename__ = "roles_grant"

    user_id: UUID = Field(foreign_key="users_user.id", ondelete="CASCADE", primary_key=True)
    role_id: UUID = Field(
        foreign_key="roles_role.id", ondelete="CASCADE", primary_key=True, index=True
    )
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
