"""Reading broadcasts back (the caller owns the transaction): the list of a workspace's broadcasts,
and one broadcast's progress, counted by recipient status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from broadcasts.drafts import access_broadcast
from broadcasts.models import Broadcast, BroadcastRecipient
from broadcasts.states import RecipientStatus
from channels.telegram.models import TelegramBot
from core.ids import BroadcastId, TelegramBotId

MAX_LISTED = 200


@dataclass(frozen=True)
class Progress:
    status: str  # the broadcast's
    total: int
    pending: int  # not sent yet (including those being sent right now)
    sent: int
    failed: int
    blocked: int
    skipped: int
    unconfirmed: int  # the worker stopped during their send; probably delivered, never sent again
    last_error: str | None

    @property
    def done(self) -> int:
        return self.total - self.pending


@dataclass(frozen=True)
class BroadcastSummary:
    id: BroadcastId
    name: str
    status: str
    bot_id: TelegramBotId
    bot_username: str
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recipients: int
    sent: int
    created_at: datetime


async def progress(session: AsyncSession, actor: Actor, broadcast_id: BroadcastId) -> Progress:
    broadcast = await access_broadcast(session, actor, broadcast_id)
    rows = await session.execute(
        select(BroadcastRecipient.status, func.count())
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .group_by(BroadcastRecipient.status)
    )
    counts = {status: count for status, count in rows}
    return Progress(
        status=broadcast.status,
        total=sum(counts.values()),
        pending=counts.get(RecipientStatus.PENDING, 0) + counts.get(RecipientStatus.SENDING, 0),
        sent=counts.get(RecipientStatus.SENT, 0),
        failed=counts.get(RecipientStatus.FAILED, 0),
        blocked=counts.get(RecipientStatus.BLOCKED, 0),
        skipped=counts.get(RecipientStatus.SKIPPED, 0),
        unconfirmed=counts.get(RecipientStatus.UNCONFIRMED, 0),
        last_error=broadcast.last_error,
    )


async def list_broadcasts(session: AsyncSession, actor: Actor) -> list[BroadcastSummary]:
    """The workspace's broadcasts, newest first."""
    actor.require(Permission.MANAGE_BROADCASTS)
    sent = (
        select(func.count())
        .where(BroadcastRecipient.broadcast_id == Broadcast.id, BroadcastRecipient.status == RecipientStatus.SENT)
        .correlate(Broadcast)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Broadcast, TelegramBot.username, sent)
        .join(TelegramBot, TelegramBot.id == Broadcast.bot_id)
        .where(Broadcast.workspace_id == actor.workspace_id)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(MAX_LISTED)
    )
    return [
        BroadcastSummary(
            id=broadcast.id,
            name=broadcast.name,
            status=broadcast.status,
            bot_id=broadcast.bot_id,
            bot_username=username,
            scheduled_at=broadcast.scheduled_at,
            started_at=broadcast.started_at,
            finished_at=broadcast.finished_at,
            recipients=broadcast.recipient_count,
            sent=sent_count,
            created_at=broadcast.created_at,
        )
        for broadcast, username, sent_count in rows
    ]
