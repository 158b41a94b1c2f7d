"""What a flow may know about the dialog it runs in, read from the database when a run starts or
resumes: the contact's properties and tags, the page, the channel, working hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.working_hours import is_open
from accounts.workspaces import working_hours_of
from conversations.bot_actions import earlier_conversations, tag_names
from conversations.models import Contact, Conversation
from flows.facts import Facts

# A contact first seen this long before the dialog began is returning, even in their first dialog.
RETURNING_AFTER = timedelta(minutes=30)
_PROFILE = ("name", "email", "phone")


async def facts_for(session: AsyncSession, conversation: Conversation, contact: Contact, *, now: datetime) -> Facts:
    properties = {key: value for key, value in contact.properties.items() if isinstance(value, str)}
    for name in _PROFILE:
        value = getattr(contact, name)
        if value:
            properties[name] = value
    returning = contact.first_seen_at < conversation.created_at - RETURNING_AFTER or await earlier_conversations(
        session, conversation
    )
    return Facts(
        contact_key=str(contact.id),
        contact=properties,
        tags=await tag_names(session, conversation.id),
        is_returning=returning,
        language=contact.language,
        channel=conversation.channel,
        conversation=dict(conversation.attributes or {}),
        page_url=properties.get("page_url"),
        page_title=properties.get("title"),
        page_referrer=properties.get("referrer"),
        within_working_hours=is_open(await working_hours_of(session, conversation.workspace_id), now),
    )
