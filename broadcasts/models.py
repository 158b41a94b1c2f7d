"""Tables of broadcasts: the message an editor sends to a bot's subscribers (its text, image, buttons,
audience and schedule) and one recipient row per subscriber, planned once and delivered once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from broadcasts.states import BroadcastStatus, RecipientStatus
from core.db import Base
from core.ids import (
    BroadcastId,
    BroadcastRecipientId,
    ContactId,
    OperatorId,
    TelegramBotId,
    TelegramSubscriberId,
    WorkspaceId,
)


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Broadcast(Base):
    """A message to a bot's subscribers. `text` is sanitised Telegram HTML; `buttons` holds
    `{"label", "url"}` or `{"label", "flow_id"}` items; `audience` is a segment (broadcasts.segments)."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint(_one_of("status", BroadcastStatus), name="status"),
        Index("ix_broadcasts_workspace_created", "workspace_id", "created_at"),
        Index("ix_broadcasts_due", "scheduled_at", postgresql_where=sql("status = 'scheduled'")),
        Index("ix_broadcasts_sending", "bot_id", postgresql_where=sql("status = 'sending'")),
    )

    id: Mapped[BroadcastId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    bot_id: Mapped[TelegramBotId] = mapped_column(ForeignKey("telegram_bots.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    image_id: Mapped[str | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    buttons: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default=sql("'[]'::jsonb"))
    audience: Mapped[dict[str, object]] = mapped_column(JSONB, server_default=sql("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(String(16), server_default=BroadcastStatus.DRAFT.value)
    scheduled_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]  # when its recipients were written (once)
    recipient_count: Mapped[int] = mapped_column(server_default="0")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # why it stopped by itself (the bot's token was revoked)
    created_by: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class BroadcastRecipient(Base):
    """One subscriber of one broadcast. A worker claims it (`claim_token`, `locked_until`), commits
    `in_flight_at` just before the Bot API call and commits the outcome just after it."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "subscriber_id"),
        CheckConstraint(_one_of("status", RecipientStatus), name="status"),
        # Claiming, recovering and "is anything left?" all look only at unfinished rows.
        Index(
            "ix_broadcast_recipients_due",
            "broadcast_id",
            "next_attempt_at",
            postgresql_where=sql("status IN ('pending', 'sending')"),
        ),
    )

    id: Mapped[BroadcastRecipientId] = mapped_column(primary_key=True)
    broadcast_id: Mapped[BroadcastId] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[ContactId] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    subscriber_id: Mapped[TelegramSubscriberId] = mapped_column(
        ForeignKey("telegram_subscribers.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), server_default=RecipientStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(server_default="0")  # sends begun (flood refusals excepted)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    locked_until: Mapped[datetime | None]
    claim_token: Mapped[int | None] = mapped_column(BigInteger)
    in_flight_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
