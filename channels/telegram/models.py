"""Tables of the Telegram channel: the bots a workspace connected (token sealed), the people who
pressed /start in one of them (subscribers, with their blocked/unblocked state), and the update ids
already handled (so a redelivered update is a no-op)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import ContactId, OperatorId, TelegramBotId, TelegramSubscriberId, WorkspaceId

WEBHOOK = "webhook"
POLLING = "polling"
SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"


class TelegramBot(Base):
    """A bot connected to a workspace. `connection_id` is the opaque name of its webhook URL (the
    token never appears in a URL); the webhook's secret token is derived from it and the app's key."""

    __tablename__ = "telegram_bots"
    __table_args__ = (
        CheckConstraint("mode IN ('webhook', 'polling')", name="mode"),
        CheckConstraint("messages_per_second BETWEEN 1 AND 1000", name="messages_per_second"),
        # One bot is connected at most once at a time: Telegram keeps one webhook per bot.
        Index(
            "uq_telegram_bots_connected", "telegram_id", unique=True, postgresql_where=text("disconnected_at IS NULL")
        ),
    )

    id: Mapped[TelegramBotId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(String(32), unique=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    username: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    token_sealed: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    # Broadcast pacing: Telegram's free limit is ~30 messages/s; paid broadcasts allow up to 1,000.
    messages_per_second: Mapped[int] = mapped_column(server_default="30")
    paid_broadcasts: Mapped[bool] = mapped_column(server_default=text("false"))
    # Long polling: the next getUpdates offset, and which process polls (a lease it renews; one at a time).
    updates_offset: Mapped[int] = mapped_column(BigInteger, server_default="0")
    polled_by: Mapped[str | None] = mapped_column(String(64))
    polling_lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    connected_by: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime] = mapped_column(server_default=func.now())
    disconnected_at: Mapped[datetime | None]


class TelegramSubscriber(Base):
    """A person who started a bot: reachable for broadcasts while `status` is subscribed."""

    __tablename__ = "telegram_subscribers"
    __table_args__ = (
        UniqueConstraint("bot_id", "chat_id"),
        CheckConstraint("status IN ('subscribed', 'unsubscribed')", name="status"),
        Index("ix_telegram_subscribers_audience", "workspace_id", "status", "bot_id"),
    )

    id: Mapped[TelegramSubscriberId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    bot_id: Mapped[TelegramBotId] = mapped_column(ForeignKey("telegram_bots.id", ondelete="CASCADE"))
    contact_id: Mapped[ContactId] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), server_default=SUBSCRIBED)
    # Why they stopped: blocked (they blocked the bot), deactivated (account deleted), chat-not-found.
    unsubscribed_reason: Mapped[str | None] = mapped_column(String(32))
    start_payload: Mapped[str | None] = mapped_column(String(64))  # t.me/bot?start=<payload> of the first /start
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    subscribed_at: Mapped[datetime]
    unsubscribed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime]


class TelegramUpdate(Base):
    """An update handled: inserted in the transaction that handles it, so a redelivery is skipped."""

    __tablename__ = "telegram_updates"

    bot_id: Mapped[TelegramBotId] = mapped_column(ForeignKey("telegram_bots.id", ondelete="CASCADE"), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
