"""The status of a conversation: open, snoozed until a time, closed; episodes; read watermarks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from conversations.access import access_conversation
from conversations.events import conversation_status_changed, read_by_operator, read_by_visitor
from conversations.models import Conversation
from core.errors import InvalidInput
from core.ids import ConversationId
from core.realtime import RealtimeEvent, publish

OPEN, SNOOZED, CLOSED = "open", "snoozed", "closed"
MAX_SNOOZE = timedelta(days=366)
WAKE_BATCH = 500


def reopen_for_message(conversation: Conversation) -> bool:
    """A message into a closed conversation starts its next episode; a snoozed one simply wakes up.
    True when the status changed."""
    if conversation.status == CLOSED:
        conversation.episode += 1
        conversation.closed_at = None
    elif conversation.status != SNOOZED:
        return False
    conversation.status = OPEN
    conversation.snoozed_until = None
    return True


async def close_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, at: datetime
) -> Conversation:
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if conversation.status != CLOSED:
        conversation.status = CLOSED
        conversation.closed_at = at
        conversation.snoozed_until = None
        await _announce(session, conversation)
    return conversation


async def reopen_conversation(session: AsyncSession, actor: Actor, conversation_id: ConversationId) -> Conversation:
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if reopen_for_message(conversation):
        await _announce(session, conversation)
    return conversation


def check_snooze_until(until: datetime, now: datetime) -> datetime:
    """The wake-up time in UTC: with a time zone, in the future, at most a year ahead."""
    if until.tzinfo is None or until.utcoffset() is None:
        raise InvalidInput("The snooze time needs a UTC offset, for example 2026-11-23T09:00:00+03:00.", field="until")
    if until <= now:
        raise InvalidInput("The snooze time must be in the future.", field="until")
    if until - now > MAX_SNOOZE:
        raise InvalidInput("A dialog can be snoozed for at most a year.", field="until")
    return until.astimezone(UTC)


async def snooze_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, until: datetime, now: datetime
) -> Conversation:
    """Hide an open dialog until `until`; it wakes then (`wake_snoozed`) or when the visitor writes."""
    actor.require(Permission.WORK_INBOX)
    wake_at = check_snooze_until(until, now)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if conversation.status == CLOSED:
        raise InvalidInput("A closed dialog cannot be snoozed; reopen it first.", field="status")
    conversation.status = SNOOZED
    conversation.snoozed_until = wake_at
    await _announce(session, conversation)
    return conversation


async def wake_snoozed(session: AsyncSession, now: datetime) -> list[ConversationId]:
    """Reopen up to WAKE_BATCH dialogs whose snooze time has come (call again while it returns a full
    batch). Rows another transaction holds are skipped, so concurrent sweepers never wait or repeat."""
    due = (
        select(Conversation)
        .where(Conversation.status == SNOOZED, Conversation.snoozed_until <= now)
        .order_by(Conversation.snoozed_until)
        .limit(WAKE_BATCH)
        .with_for_update(skip_locked=True)
    )
    conversations = list((await session.execute(due)).scalars())
    for conversation in conversations:
        conversation.status = OPEN
        conversation.snoozed_until = None
    await session.flush()
    await publish(session, *(_status_event(conversation) for conversation in conversations))
    return [conversation.id for conversation in conversations]


async def mark_read_by_operator(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, seq: int
) -> Conversation:
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    watermark = min(max(seq, 0), conversation.last_seq)
    if watermark > conversation.operator_read_seq:
        conversation.operator_read_seq = watermark
        await publish(session, read_by_operator(conversation.workspace_id, conversation.id, watermark))
    return conversation


async def mark_read_by_visitor(session: AsyncSession, conversation: Conversation, seq: int) -> None:
    """The caller has established that `conversation` is the visitor's own."""
    watermark = min(max(seq, 0), conversation.last_seq)
    if watermark > conversation.visitor_read_seq:
        conversation.visitor_read_seq = watermark
        await publish(session, read_by_visitor(conversation.workspace_id, conversation.id, watermark))


async def _announce(session: AsyncSession, conversation: Conversation) -> None:
    await session.flush()
    await publish(session, _status_event(conversation))


def _status_event(conversation: Conversation) -> RealtimeEvent:
    return conversation_status_changed(
        conversation.workspace_id,
        conversation.contact_id,
        conversation.id,
        status=conversation.status,
        owner=conversation.owner,
        assignee_id=conversation.assignee_id,
        group_id=conversation.group_id,
    )
