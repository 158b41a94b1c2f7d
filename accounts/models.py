"""Tables of workspaces, operators, memberships, groups, API keys, invitations and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import ApiKeyId, GroupId, InvitationId, OperatorId, WorkspaceId


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[WorkspaceId] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    default_locale: Mapped[str] = mapped_column(String(5), server_default="en")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Operator(Base):
    __tablename__ = "operators"
    __table_args__ = (Index("uq_operators_email_lower", text("lower(email)"), unique=True),)

    id: Mapped[OperatorId] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime | None]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("workspace_id", "operator_id"),
        CheckConstraint("role IN ('admin', 'operator', 'editor')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    operator_id: Mapped[OperatorId] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OperatorGroup(Base):
    __tablename__ = "operator_groups"
    __table_args__ = (Index("uq_operator_groups_workspace_name", "workspace_id", text("lower(name)"), unique=True),)

    id: Mapped[GroupId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[GroupId] = mapped_column(ForeignKey("operator_groups.id", ondelete="CASCADE"), primary_key=True)
    operator_id: Mapped[OperatorId] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('admin', 'operator', 'editor')", name="role"),)

    id: Mapped[ApiKeyId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Invitation(Base):
    """A one-time link with which a new operator sets their password."""

    __tablename__ = "invitations"

    id: Mapped[InvitationId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[OperatorId] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LoginAttempt(Base):
    """Failed and successful logins, kept to rate-limit per IP and per account across processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_ip_at", "ip", "attempted_at"),
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime]
