"""What operators send: replies (stored with an outbox row, delivered after commit by the outbox)
and internal notes (stored, shown to operators, never delivered to a channel)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from channels.base import AttachmentRef
from conversations.access import access_conversation
from conversations.events import conversation_changed, conversation_routed, message_stored
from conversations.lifecycle import reopen_for_message
from conversations.limits import check_message_content
from conversations.messages import append_message, find_by_channel_key, message_view
from conversations.models import Conversation, Message, OutboundDelivery
from core.ids import ConversationId, DeliveryId
from core.realtime import publish


@dataclass(frozen=True)
class Reply:
    message: Message
    delivery_id: DeliveryId | None  # None when the reply was a duplicate already queued


async def reply_as_operator(
    session: AsyncSession,
    actor: Actor,
    conversation_id: ConversationId,
    *,
    text: str,
    at: datetime,
    attachments: Sequence[AttachmentRef] = (),
    client_id: str | None = None,
) -> Reply:
    """Replying takes the conversation over: the operator becomes its owner (the bot stops)."""
    actor.require(Permission.WORK_INBOX)
    cleaned = check_message_content(text, len(attachments))
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    key = None if client_id is None else f"op:{client_id}"
    if key is not None:
        existing = await find_by_channel_key(session, actor.workspace_id, conversation.channel, key)
        if existing is not None:
            return Reply(message=existing, delivery_id=None)
    reopened = reopen_for_message(conversation)
    took_over = conversation.owner != "operator" or conversation.assignee_id is None
    conversation.owner = "operator"
    if conversation.assignee_id is None:
        conversation.assignee_id = actor.operator_id
        conversation.assigned_at = at
    message = await append_message(
        session,
        conversation,
        author="operator",
        text=cleaned,
        at=at,
        status="pending",
        attachments=attachments,
        channel_key=key,
        operator_id=actor.operator_id,
    )
    delivery = OutboundDelivery(
        workspace_id=actor.workspace_id, message_id=message.id, channel=conversation.channel, next_attempt_at=at
    )
    session.add(delivery)
    await session.flush()
    await _announce(session, conversation, message, reopened=reopened)
    if took_over:  # out of the queue (or away from the bot): every inbox updates its lists
        routed = conversation_routed(
            conversation.workspace_id,
            conversation.id,
            status=conversation.status,
            owner="operator",
            assignee_id=conversation.assignee_id,
            group_id=conversation.group_id,
        )
        await publish(session, routed)
    return Reply(message=message, delivery_id=delivery.id)


async def add_note(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, text: str, at: datetime
) -> Message:
    actor.require(Permission.WORK_INBOX)
    cleaned = check_message_content(text, 0)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    note = await append_message(
        session, conversation, author="note", text=cleaned, at=at, status="sent", operator_id=actor.operator_id
    )
    await _announce(session, conversation, note, reopened=False)
    return note


async def _announce(session: AsyncSession, conversation: Conversation, message: Message, *, reopened: bool) -> None:
    # Operators only: the visitor hears of a reply when the outbox delivers it, and never of a note.
    view = await message_view(session, message)
    events = [message_stored(conversation.workspace_id, conversation.id, message.seq, view.for_operator())]
    if reopened:
        events.append(conversation_changed(conversation.workspace_id, conversation.contact_id, conversation.id, "open"))
    await publish(session, *events)
