"""A segment as SQL: the subscribed people of one bot who match it, and how many there are. Days are
the workspace's (a segment saying "since 1 March" means from midnight of 1 March there)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts.segments import Segment
from channels.telegram.models import SUBSCRIBED, TelegramSubscriber
from conversations.models import Contact, Conversation, ConversationTag
from core.ids import TelegramBotId, WorkspaceId


def audience_query(
    segment: Segment, *, workspace_id: WorkspaceId, bot_id: TelegramBotId, now: datetime, timezone: str
) -> Select[TelegramSubscriber]:
    """The bot's subscribers in the segment, in subscription order."""
    conditions = [
        TelegramSubscriber.workspace_id == workspace_id,
        TelegramSubscriber.bot_id == bot_id,
        TelegramSubscriber.status == SUBSCRIBED,
        *_conditions(segment, workspace_id=workspace_id, now=now, zone=ZoneInfo(timezone)),
    ]
    return select(TelegramSubscriber).where(*conditions).order_by(TelegramSubscriber.id)


async def count_audience(
    session: AsyncSession,
    segment: Segment,
    *,
    workspace_id: WorkspaceId,
    bot_id: TelegramBotId,
    now: datetime,
    timezone: str,
) -> int:
    query = audience_query(segment, workspace_id=workspace_id, bot_id=bot_id, now=now, timezone=timezone)
    counted = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return int(counted or 0)


def _conditions(
    segment: Segment, *, workspace_id: WorkspaceId, now: datetime, zone: ZoneInfo
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if segment.tag_ids:
        conditions.append(_has_any_tag(segment, workspace_id))
    if segment.properties:
        contact_matches = and_(
            Contact.id == TelegramSubscriber.contact_id,
            Contact.properties.contains(dict(segment.properties)),
        )
        conditions.append(exists().where(contact_matches))
    if segment.subscribed_since is not None:
        conditions.append(TelegramSubscriber.subscribed_at >= _midnight(segment.subscribed_since, zone))
    if segment.active_within_days is not None:
        conditions.append(TelegramSubscriber.last_activity_at >= now - timedelta(days=segment.active_within_days))
    if segment.last_active_before is not None:
        conditions.append(TelegramSubscriber.last_activity_at < _midnight(segment.last_active_before, zone))
    return conditions


def _has_any_tag(segment: Segment, workspace_id: WorkspaceId) -> ColumnElement[bool]:
    """Tags are put on dialogs: a person has a tag when any of their dialogs has it."""
    return exists().where(
        Conversation.contact_id == TelegramSubscriber.contact_id,
        ConversationTag.conversation_id == Conversation.id,
        ConversationTag.workspace_id == workspace_id,
        ConversationTag.tag_id.in_(segment.tag_ids),
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
