"""The idempotent inbound pipeline: every channel edge hands its messages to `receive_message`.
One transaction: lock the contact, skip a redelivery, find or open the conversation, append the
message, meter the visitor, and queue the realtime events (delivered by PostgreSQL at commit). The
common case — a known contact writing into their open conversation — takes `inbound_append`'s one
statement; everything else the general path below."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.groups import default_group_id
from accounts.workspaces import bot_greets
from billing.visitors import record_visitor_activity
from channels.base import InboundMessage
from conversations.access import access_visitor_conversation
from conversations.assignment import queued_event
from conversations.contacts import Profile, contact_for_address, note_visit
from conversations.events import conversation_changed, visitor_message_stored
from conversations.inbound_append import append_to_open_conversation
from conversations.lifecycle import CLOSED, reopen_for_message
from conversations.limits import check_message_content
from conversations.messages import append_message, find_by_channel_key, message_view
from conversations.models import Contact, Conversation
from conversations.routing import enter_queue, hand_to_bot
from conversations.views import MessageView
from core.ids import ContactId, ConversationId
from core.realtime import publish


@dataclass(frozen=True)
class Received:
    message: MessageView
    conversation_id: ConversationId
    contact_id: ContactId
    duplicate: bool
    owner: str  # who answers now: "bot", "queue" or "operator"


async def receive_message(session: AsyncSession, inbound: InboundMessage) -> Received:
    text = check_message_content(inbound.text, len(inbound.attachments))
    if not inbound.contact_properties and inbound.button_id is None:
        appended = await append_to_open_conversation(await session.connection(), inbound, text)
        if appended is not None:
            view = appended.message
            return Received(view, view.conversation_id, appended.contact_id, duplicate=False, owner=appended.owner)
    return await _receive_in_general(session, inbound, text)


async def _receive_in_general(session: AsyncSession, inbound: InboundMessage, text: str) -> Received:
    # The contact's row lock serialises everything one person sends through here, across processes.
    contact = await contact_for_address(
        session, workspace_id=inbound.workspace_id, channel=inbound.channel, address=inbound.address, lock=True
    )
    existing = await find_by_channel_key(session, inbound.workspace_id, inbound.channel, inbound.channel_key)
    if existing is not None:
        conversation = await access_visitor_conversation(session, contact.id, existing.conversation_id)
        view = await message_view(session, existing)
        return Received(view, conversation.id, contact.id, duplicate=True, owner=conversation.owner)
    conversation, changed = await _open_conversation(session, contact, inbound)
    message = await append_message(
        session,
        conversation,
        author="visitor",
        text=text,
        at=inbound.occurred_at,
        status="received",
        attachments=inbound.attachments,
        channel_key=inbound.channel_key,
        button_id=inbound.button_id,
    )
    note_visit(contact, inbound.contact_properties, Profile(), at=inbound.occurred_at)
    await record_visitor_activity(
        session, workspace_id=inbound.workspace_id, contact_id=contact.id, at=inbound.occurred_at
    )
    view = await message_view(session, message)
    events = [visitor_message_stored(inbound.workspace_id, view.conversation_id, view.seq, view.for_operator())]
    if changed:
        events.append(conversation_changed(conversation.workspace_id, conversation.contact_id, conversation.id, "open"))
    if changed and conversation.owner == "queue":
        events.append(queued_event(conversation.workspace_id, conversation.id, conversation.group_id))
    await publish(session, *events)
    return Received(view, conversation.id, contact.id, duplicate=False, owner=conversation.owner)


async def current_conversation(
    session: AsyncSession, contact_id: ContactId, channel: str, *, for_update: bool = False
) -> Conversation | None:
    """The contact's latest conversation on `channel` (a closed one reopens when they write)."""
    query = (
        select(Conversation)
        .where(Conversation.contact_id == contact_id, Conversation.channel == channel)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def _open_conversation(
    session: AsyncSession, contact: Contact, inbound: InboundMessage
) -> tuple[Conversation, bool]:
    """The conversation to write into; True when it is new or was reopened. A new dialog, and a
    closed one the visitor reopens, start with the bot while a live flow greets new dialogs, else
    wait in a queue: the workspace's default group's, if any."""
    conversation = await current_conversation(session, contact.id, inbound.channel, for_update=True)
    if conversation is None:
        conversation = Conversation(workspace_id=inbound.workspace_id, contact_id=contact.id, channel=inbound.channel)
        await _first_owner(session, conversation, inbound)
        session.add(conversation)
        await session.flush()
        await session.refresh(conversation)
        return conversation, True
    was_closed = conversation.status == CLOSED
    changed = reopen_for_message(conversation)
    if was_closed:
        await _first_owner(session, conversation, inbound)
    return conversation, changed


async def _first_owner(session: AsyncSession, conversation: Conversation, inbound: InboundMessage) -> None:
    if await bot_greets(session, inbound.workspace_id):
        hand_to_bot(conversation)
    else:
        group_id = conversation.group_id or await default_group_id(session, inbound.workspace_id)
        enter_queue(conversation, group_id, now=inbound.occurred_at)
