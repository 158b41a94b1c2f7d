"""What operators read: conversation lists and one conversation with its contact."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from conversations.access import access_contact, access_conversation
from conversations.models import Contact, Conversation, Message
from conversations.views import ConversationView
from core.ids import ConversationId

LIST_LIMIT = 100
PREVIEW_LENGTH = 140


async def conversation_summaries(session: AsyncSession, actor: Actor, *, status: str) -> list[dict[str, object]]:
    """The newest conversations first, each with its contact and a preview of its last message."""
    actor.require(Permission.WORK_INBOX)
    last_body = (
        select(Message.body)
        .where(Message.conversation_id == Conversation.id, Message.author != "note")
        .order_by(Message.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Conversation, Contact.name, Contact.email, last_body)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.workspace_id == actor.workspace_id)
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(LIST_LIMIT)
    )
    if status != "all":
        query = query.where(Conversation.status == status)
    return [
        {
            **view_of_conversation(conversation).for_operator(),
            "contact": {"name": name, "email": email},
            "preview": (body or "")[:PREVIEW_LENGTH],
            "unread": conversation.last_seq - conversation.operator_read_seq,
        }
        for conversation, name, email, body in await session.execute(query)
    ]


async def conversation_view(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId
) -> tuple[ConversationView, dict[str, object]]:
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id)
    contact = await access_contact(session, actor, conversation.contact_id)
    card: dict[str, object] = {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "language": contact.language,
        "external_id": contact.external_id,
        "properties": contact.properties,
        "first_seen_at": contact.first_seen_at.isoformat(),
        "last_seen_at": contact.last_seen_at.isoformat(),
    }
    return view_of_conversation(conversation), card


def view_of_conversation(conversation: Conversation) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        contact_id=conversation.contact_id,
        channel=conversation.channel,
        owner=conversation.owner,
        status=conversation.status,
        episode=conversation.episode,
        last_seq=conversation.last_seq,
        visitor_read_seq=conversation.visitor_read_seq,
        operator_read_seq=conversation.operator_read_seq,
        assignee_id=conversation.assignee_id,
        last_message_at=conversation.last_message_at,
        created_at=conversation.created_at,
    )
