"""Tables of contacts and their channel addresses, conversations (dialogs), messages, attachments, the
outbox of deliveries to channels, tags and canned replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import (
    CannedReplyId,
    ContactId,
    ConversationId,
    DeliveryId,
    GroupId,
    MessageId,
    OperatorId,
    TagId,
    WorkspaceId,
)


class Contact(Base):
    """A person: an anonymous visitor, or identified by the site's own user id (`external_id`)."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index(
            "uq_contacts_workspace_external_id",
            "workspace_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[ContactId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))
    # Page URL, referrer, UTM tags, browser... as the channel reported them (strings only).
    properties: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    merged_into_id: Mapped[ContactId | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ContactAddress(Base):
    """How a channel reaches a contact: the widget's visitor id, a Telegram chat id, a phone number."""

    __tablename__ = "contact_addresses"
    __table_args__ = (UniqueConstraint("workspace_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[ContactId] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("owner IN ('bot', 'queue', 'operator')", name="owner"),
        CheckConstraint("status IN ('open', 'snoozed', 'closed')", name="status"),
        Index("ix_conversations_workspace_status_last", "workspace_id", "status", "last_message_at"),
        Index("ix_conversations_contact_channel", "contact_id", "channel"),
        # The queues: open dialogs waiting for an operator, longest waiting first.
        Index(
            "ix_conversations_queue",
            "workspace_id",
            "group_id",
            "queued_at",
            postgresql_where=text("owner = 'queue' AND status = 'open'"),
        ),
        # Operators' load: their open dialogs.
        Index("ix_conversations_assignee_open", "assignee_id", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[ConversationId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[ContactId] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(16), server_default="queue")
    assignee_id: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    group_id: Mapped[GroupId | None] = mapped_column(ForeignKey("operator_groups.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    snoozed_until: Mapped[datetime | None]
    # Episode 1 is the first; a message after a close reopens the same conversation as the next one.
    episode: Mapped[int] = mapped_column(server_default="1")
    last_seq: Mapped[int] = mapped_column(server_default="0")
    visitor_read_seq: Mapped[int] = mapped_column(server_default="0")
    operator_read_seq: Mapped[int] = mapped_column(server_default="0")
    last_message_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]  # when it last entered a queue
    assigned_at: Mapped[datetime | None]  # when its operator got it
    # Set by flows (`set` nodes): strings an operator sees and later conditions read.
    attributes: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        Index(
            "uq_messages_channel_key",
            "workspace_id",
            "channel",
            "channel_key",
            unique=True,
            postgresql_where=text("channel_key IS NOT NULL"),
        ),
        # Inbox search; written as PostgreSQL prints it, so that migrations and models compare equal.
        Index("ix_messages_search", text("to_tsvector('simple'::regconfig, body)"), postgresql_using="gin"),
        CheckConstraint("author IN ('visitor', 'operator', 'bot', 'system', 'note')", name="author"),
        CheckConstraint("status IN ('received', 'pending', 'sent', 'failed')", name="status"),
    )

    id: Mapped[MessageId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[ConversationId] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int]
    episode: Mapped[int]
    author: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # A bot message's buttons ({id, label}); on a visitor's message, the button they pressed.
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    button_id: Mapped[str | None] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(32))
    # The channel's own id of this message (widget client uuid, Telegram update id): a redelivery is a no-op.
    channel_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Attachment(Base):
    """A file a visitor or operator uploaded; its bytes live in the file store under `storage_key`."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[ContactId | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutboundDelivery(Base):
    """The outbox: one row per message to send through a channel, written with the message."""

    __tablename__ = "outbound_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_outbound_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[DeliveryId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    message_id: Mapped[MessageId] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]


class Tag(Base):
    """A label operators put on dialogs (billing, bug, vip...)."""

    __tablename__ = "tags"
    __table_args__ = (Index("uq_tags_workspace_name", "workspace_id", text("lower(name)"), unique=True),)

    id: Mapped[TagId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    color: Mapped[str] = mapped_column(String(7), server_default="#6b7280")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ConversationTag(Base):
    __tablename__ = "conversation_tags"

    conversation_id: Mapped[ConversationId] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[TagId] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))


class CannedReply(Base):
    """A prepared answer an operator inserts by typing `/shortcut`: shared (no owner) or personal."""

    __tablename__ = "canned_replies"
    __table_args__ = (
        Index(
            "uq_canned_replies_shortcut",
            "workspace_id",
            text("coalesce(owner_id, 0)"),
            text("lower(shortcut)"),
            unique=True,
        ),
    )

    id: Mapped[CannedReplyId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    owner_id: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
