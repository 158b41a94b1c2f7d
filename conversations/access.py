"""The only way to load conversation-side tenant rows: another workspace's id is NotFound."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Membership
from conversations.models import Attachment, Contact, Conversation, Message
from core.errors import NotFound
from core.ids import ContactId, ConversationId, MessageId, OperatorId


async def access_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, for_update: bool = False
) -> Conversation:
    query = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == actor.workspace_id
    )
    conversation = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


async def access_visitor_conversation(
    session: AsyncSession, contact_id: ContactId, conversation_id: ConversationId, *, for_update: bool = False
) -> Conversation:
    """A conversation of this contact (the visitor side: the edge has verified who the contact is)."""
    query = select(Conversation).where(Conversation.id == conversation_id, Conversation.contact_id == contact_id)
    conversation = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


async def access_contact(session: AsyncSession, actor: Actor, contact_id: ContactId) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.workspace_id != actor.workspace_id:
        raise NotFound("Contact not found.")
    return contact


async def access_message(session: AsyncSession, actor: Actor, message_id: MessageId) -> Message:
    message = await session.get(Message, message_id)
    if message is None or message.workspace_id != actor.workspace_id:
        raise NotFound("Message not found.")
    return message


async def access_attachment_as_operator(
    session: AsyncSession, operator_id: OperatorId, attachment_id: str
) -> Attachment:
    """A file of any workspace the operator is a member of."""
    attachment = (
        await session.execute(
            select(Attachment)
            .join(Membership, Membership.workspace_id == Attachment.workspace_id)
            .where(Attachment.id == attachment_id, Membership.operator_id == operator_id)
        )
    ).scalar_one_or_none()
    if attachment is None:
        raise NotFound("File not found.")
    return attachment


async def access_attachment_as_visitor(session: AsyncSession, contact: Contact, attachment_id: str) -> Attachment:
    """A file the visitor uploaded, or one sent to them in a conversation of theirs (never a note's)."""
    sent_to_them = (
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.contact_id == contact.id,
            Message.author != "note",
            Message.attachments.contains([{"id": attachment_id}]),
        )
        .exists()
    )
    query = select(Attachment).where(
        Attachment.id == attachment_id,
        Attachment.workspace_id == contact.workspace_id,
        or_(Attachment.contact_id == contact.id, sent_to_them),
    )
    attachment = (await session.execute(query)).scalar_one_or_none()
    if attachment is None:
        raise NotFound("File not found.")
    return attachment
