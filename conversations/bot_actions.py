"""What the bot does to a conversation: speak (with buttons), leave a note for the operator, hand
off to a queue, close. The caller locked the conversation row; events go out at commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.groups import default_group_id
from accounts.models import OperatorGroup
from channels.base import ChannelKind
from conversations.assignment import queued_event
from conversations.events import (
    conversation_changed,
    conversation_routed,
    conversation_status_changed,
    delivery_queued,
    message_for_visitor,
    message_stored,
)
from conversations.lifecycle import CLOSED, reopen_for_message
from conversations.messages import append_message, view_of
from conversations.models import Contact, Conversation, ConversationTag, Message, OutboundDelivery, Tag
from conversations.routing import enter_queue, hand_to_bot
from conversations.tags import check_tag_name, tags_of
from core.ids import ContactId, ConversationId, GroupId, WorkspaceId
from core.realtime import publish


async def lock_conversation(session: AsyncSession, conversation_id: ConversationId) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.id == conversation_id).with_for_update())


async def send_as_bot(
    session: AsyncSession,
    conversation: Conversation,
    *,
    text: str,
    at: datetime,
    buttons: Sequence[tuple[str, str]] = (),
) -> Message:
    """Web widgets get it through the realtime fan-out at commit; other channels through the outbox."""
    web = conversation.channel == ChannelKind.WEB
    message = await append_message(
        session, conversation, author="bot", text=text, at=at, status="sent" if web else "pending", buttons=buttons
    )
    view = view_of(message, None)
    events = [message_stored(conversation.workspace_id, conversation.id, message.seq, view.for_operator())]
    if web:
        events.append(message_for_visitor(conversation.id, message.id))
    else:
        session.add(
            OutboundDelivery(
                workspace_id=conversation.workspace_id,
                message_id=message.id,
                channel=conversation.channel,
                next_attempt_at=at,
            )
        )
        await session.flush()
        events.append(delivery_queued())
    await publish(session, *events)
    return message


async def note_for_operators(session: AsyncSession, conversation: Conversation, *, text: str, at: datetime) -> Message:
    """An internal note from the bot (a handoff summary): operators see it, the visitor never does."""
    note = await append_message(session, conversation, author="note", text=text, at=at, status="sent")
    view = view_of(note, None)
    await publish(session, message_stored(conversation.workspace_id, conversation.id, note.seq, view.for_operator()))
    return note


async def group_named(session: AsyncSession, workspace_id: WorkspaceId, name: str) -> GroupId | None:
    return await session.scalar(
        select(OperatorGroup.id).where(OperatorGroup.workspace_id == workspace_id, OperatorGroup.name == name)
    )


async def hand_off_to_queue(
    session: AsyncSession, conversation: Conversation, group_id: GroupId | None, *, at: datetime
) -> None:
    """Into `group_id`'s queue (the workspace's default group when None or not this workspace's)."""
    if group_id is not None:
        owned = await session.scalar(
            select(OperatorGroup.id).where(
                OperatorGroup.id == group_id, OperatorGroup.workspace_id == conversation.workspace_id
            )
        )
        group_id = owned
    if group_id is None:
        group_id = await default_group_id(session, conversation.workspace_id)
    enter_queue(conversation, group_id, now=at)
    await session.flush()
    routed = conversation_routed(
        conversation.workspace_id,
        conversation.id,
        status=conversation.status,
        owner=conversation.owner,
        assignee_id=None,
        group_id=conversation.group_id,
    )
    await publish(session, routed, queued_event(conversation.workspace_id, conversation.id, conversation.group_id))


async def close_by_bot(session: AsyncSession, conversation: Conversation, *, at: datetime) -> None:
    if conversation.status == CLOSED:
        return
    conversation.status = CLOSED
    conversation.closed_at = at
    conversation.snoozed_until = None
    await session.flush()
    await publish(
        session,
        conversation_status_changed(
            conversation.workspace_id,
            conversation.contact_id,
            conversation.id,
            status=conversation.status,
            owner=conversation.owner,
            assignee_id=conversation.assignee_id,
            group_id=conversation.group_id,
        ),
    )


async def tag_by_bot(session: AsyncSession, conversation: Conversation, name: str, *, on: bool) -> None:
    """Put on (creating the workspace's tag if needed) or take off the tag called `name`."""
    cleaned = check_tag_name(name)
    tag_id = await session.scalar(
        select(Tag.id).where(Tag.workspace_id == conversation.workspace_id, func.lower(Tag.name) == cleaned.lower())
    )
    if tag_id is None and on:
        tag_id = await session.scalar(
            insert(Tag)
            .values(workspace_id=conversation.workspace_id, name=cleaned)
            .on_conflict_do_nothing()
            .returning(Tag.id)
        )
    if tag_id is None:
        return
    if on:
        await session.execute(
            insert(ConversationTag)
            .values(conversation_id=conversation.id, tag_id=tag_id, workspace_id=conversation.workspace_id)
            .on_conflict_do_nothing()
        )
    else:
        await session.execute(
            delete(ConversationTag).where(
                ConversationTag.conversation_id == conversation.id, ConversationTag.tag_id == tag_id
            )
        )


async def tag_names(session: AsyncSession, conversation_id: ConversationId) -> tuple[str, ...]:
    return tuple(str(tag["name"]) for tag in (await tags_of(session, [conversation_id]))[conversation_id])


async def earlier_conversations(session: AsyncSession, conversation: Conversation) -> bool:
    found = await session.scalar(
        select(Conversation.id)
        .where(Conversation.contact_id == conversation.contact_id, Conversation.id < conversation.id)
        .limit(1)
    )
    return found is not None


async def open_for_bot(
    session: AsyncSession, workspace_id: WorkspaceId, contact_id: ContactId, channel: str, *, at: datetime
) -> Conversation | None:
    """The visitor opened the chat: a conversation for the welcome bot (a new one, or the closed one's
    next episode), locked; None when they are already in an open or snoozed one."""
    await session.execute(
        select(Contact.id).where(Contact.id == contact_id, Contact.workspace_id == workspace_id).with_for_update()
    )
    latest = await session.scalar(
        select(Conversation)
        .where(
            Conversation.contact_id == contact_id,
            Conversation.channel == channel,
            Conversation.workspace_id == workspace_id,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
        .with_for_update()
    )
    if latest is not None and latest.status != CLOSED:
        return None
    if latest is None:
        latest = Conversation(workspace_id=workspace_id, contact_id=contact_id, channel=channel, created_at=at)
        session.add(latest)
    else:
        reopen_for_message(latest)
    hand_to_bot(latest)
    await session.flush()
    await session.refresh(latest)
    await publish(session, conversation_changed(workspace_id, contact_id, latest.id, "open"))
    return latest
