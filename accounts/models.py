"""Tables of workspaces, operators, memberships, groups, API keys, invitations and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import ApiKeyId, GroupId, InvitationId, OperatorId, WorkspaceId


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[WorkspaceId] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    default_locale: Mapped[str] = mapped_column(String(5), server_default="en")
    # Operators see only the dialogs of their groups (and those of no group) when this is on.
    restrict_to_groups: Mapped[bool] = mapped_column(server_default=text("false"))
    # An IANA name (Europe/Moscow): the working hours below are in its local time.
    timezone: Mapped[str] = mapped_column(Text, server_default="UTC")
    # `accounts.working_hours.StoredSchedule`: opening hours per weekday and holidays; NULL: always open.
    working_hours: Mapped[dict[str, object] | None] = mapped_column(JSONB)
    # Kept by flows on publish: a live flow greets or answers new dialogs, so they start with the bot.
    bot_greets: Mapped[bool] = mapped_column(server_default=text("false"))
    # Flow webhooks may call private and loopback addresses (an intranet CRM); off by default.
    allow_private_webhooks: Mapped[bool] = mapped_column(server_default=text("false"))
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
        CheckConstraint("presence IN ('online', 'away', 'offline')", name="presence"),
        CheckConstraint("capacity BETWEEN 0 AND 1000", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    operator_id: Mapped[OperatorId] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # Presence in this workspace's inbox: set by the operator; offline again a few minutes after their
    # last inbox tab stopped reporting (`last_active_at`).
    presence: Mapped[str] = mapped_column(String(8), server_default="offline")
    presence_changed_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime | None]
    # Open dialogs assigned at most (a group can override it for its members).
    capacity: Mapped[int] = mapped_column(server_default="5")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OperatorGroup(Base):
    __tablename__ = "operator_groups"
    __table_args__ = (
        Index("uq_operator_groups_workspace_name", "workspace_id", text("lower(name)"), unique=True),
        # At most one group per workspace receives the dialogs nobody routed anywhere else.
        Index("uq_operator_groups_default", "workspace_id", unique=True, postgresql_where=text("is_default")),
        CheckConstraint("assignment_policy IN ('round_robin', 'least_busy')", name="assignment_policy"),
    )

    id: Mapped[GroupId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))
    assignment_policy: Mapped[str] = mapped_column(String(16), server_default="round_robin")
    # When a member goes offline, their open dialogs of this group go back to its queue.
    requeue_on_offline: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[GroupId] = mapped_column(ForeignKey("operator_groups.id", ondelete="CASCADE"), primary_key=True)
    operator_id: Mapped[OperatorId] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    capacity: Mapped[int | None]  # overrides the operator's own capacity for dialogs of this group
    last_assigned_at: Mapped[datetime | None]  # round robin: whoever waited longest for a dialog is next


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
