"""The status of a conversation: open, snoozed until a time, closed; episodes; read watermarks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from conversations.access import access_conversation
from conversations.events import conversation_changed, read_by_operator, read_by_visitor
from conversations.models import Conversation
from core.ids import ConversationId
from core.realtime import publish

OPEN, SNOOZED, CLOSED = "open", "snoozed", "closed"


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
    event = conversation_changed(
        conversation.workspace_id, conversation.contact_id, conversation.id, conversation.status
    )
    await publish(session, event)
