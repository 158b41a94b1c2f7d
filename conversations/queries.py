"""What operators read: conversation summaries (for lists) and one conversation with its contact."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Operator
from accounts.roles import Permission
from conversations.access import access_contact, access_conversation, visible_to
from conversations.contact_card import card_of
from conversations.models import Contact, Conversation, Message
from conversations.tags import tags_of
from conversations.views import ConversationView
from core.ids import ConversationId

LIST_LIMIT = 100
PREVIEW_LENGTH = 140

# Rows of `summary_query()`: the conversation, its contact's name and email, the last message's
# text (never a note's) and the assignee's name.
SummaryQuery = Select[Conversation, str | None, str | None, str | None, str | None]


def summary_query() -> SummaryQuery:
    """Conversations with what a list shows of each; callers add conditions, order and limit."""
    last_body = (
        select(Message.body)
        .where(Message.conversation_id == Conversation.id, Message.author != "note")
        .order_by(Message.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Conversation, Contact.name, Contact.email, last_body, Operator.display_name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Operator, Operator.id == Conversation.assignee_id)
    )


async def summaries(session: AsyncSession, query: SummaryQuery) -> list[dict[str, object]]:
    """The rows of a `summary_query()`, shaped as docs/inbox-api.md's conversation summary."""
    rows = (await session.execute(query)).all()
    tags = await tags_of(session, [row[0].id for row in rows])
    return [
        {
            **conversation_json(conversation),
            "assignee": None if conversation.assignee_id is None else {"id": conversation.assignee_id, "name": who},
            "tags": tags[conversation.id],
            "contact": {"id": conversation.contact_id, "name": name, "email": email},
            "preview": (body or "")[:PREVIEW_LENGTH],
            "unread": conversation.last_seq - conversation.operator_read_seq,
        }
        for conversation, name, email, body, who in rows
    ]


async def conversation_summaries(session: AsyncSession, actor: Actor, *, status: str) -> list[dict[str, object]]:
    """The newest conversations the actor may see first, each with its contact and a preview."""
    actor.require(Permission.WORK_INBOX)
    query = (
        summary_query()
        .where(Conversation.workspace_id == actor.workspace_id, visible_to(actor))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(LIST_LIMIT)
    )
    if status != "all":
        query = query.where(Conversation.status == status)
    return await summaries(session, query)


async def conversation_view(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId
) -> tuple[ConversationView, dict[str, object]]:
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id)
    contact = await access_contact(session, actor, conversation.contact_id)
    return view_of_conversation(conversation), card_of(contact)


def conversation_json(conversation: Conversation) -> dict[str, object]:
    """The operator's view of a conversation plus where it waits and until when it sleeps."""
    extra: dict[str, object] = {
        "group_id": conversation.group_id,
        "queued_at": None if conversation.queued_at is None else conversation.queued_at.isoformat(),
        "snoozed_until": None if conversation.snoozed_until is None else conversation.snoozed_until.isoformat(),
    }
    return {**view_of_conversation(conversation).for_operator(), **extra}


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
