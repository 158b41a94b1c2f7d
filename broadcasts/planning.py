"""Planning a broadcast: one recipient row per subscriber in its audience, written once, in the
caller's transaction. A second planning (a retried job, two schedulers for a moment) adds nobody,
and people who subscribe after planning do not get this broadcast."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from broadcasts.audience import audience_query
from broadcasts.models import Broadcast, BroadcastRecipient
from broadcasts.segments import describe_segment, parse_segment
from channels.telegram.models import TelegramSubscriber
from core.errors import InvalidInput

_COLUMNS = ("broadcast_id", "workspace_id", "contact_id", "subscriber_id", "chat_id", "next_attempt_at")


async def plan_recipients(session: AsyncSession, broadcast: Broadcast, *, now: datetime) -> int:
    """How many recipients were written: all of the audience, or 0 when it was planned before.
    An audience of nobody is refused (InvalidInput) and nothing changes."""
    planned_at = await session.scalar(
        select(Broadcast.planned_at).where(Broadcast.id == broadcast.id).with_for_update()
    )
    if planned_at is not None:
        return 0
    segment = parse_segment(broadcast.audience)
    timezone = await session.scalar(select(Workspace.timezone).where(Workspace.id == broadcast.workspace_id))
    audience = audience_query(
        segment, workspace_id=broadcast.workspace_id, bot_id=broadcast.bot_id, now=now, timezone=timezone or "UTC"
    ).with_only_columns(
        literal(broadcast.id),
        TelegramSubscriber.workspace_id,
        TelegramSubscriber.contact_id,
        TelegramSubscriber.id,
        TelegramSubscriber.chat_id,
        literal(now),
    )
    statement = (
        insert(BroadcastRecipient)
        .from_select(list(_COLUMNS), audience)
        .on_conflict_do_nothing(index_elements=[BroadcastRecipient.broadcast_id, BroadcastRecipient.subscriber_id])
    )
    # An INSERT's result is a CursorResult; the async session's signature just does not say so.
    written = cast(CursorResult[tuple[()]], await session.execute(statement)).rowcount
    if written == 0:
        raise InvalidInput(
            "Nobody matches this audience: {audience}.", field="audience", audience=describe_segment(segment)
        )
    broadcast.planned_at, broadcast.recipient_count = now, written
    await session.flush()
    return written
