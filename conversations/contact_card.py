"""The contact card operators see next to a dialog: who the person is, their earlier conversations
with their tags, and editing their name, email, phone and custom properties."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from accounts.validation import check_email, check_name
from conversations.access import access_visible_contact, visible_to
from conversations.models import Contact, Conversation
from conversations.tags import tags_of
from core.errors import InvalidInput
from core.ids import ContactId

MAX_NAME_LENGTH = 200
MAX_PROPERTY_KEY_LENGTH = 64
MAX_PROPERTY_VALUE_LENGTH = 1000
MAX_PROPERTIES = 100
MAX_EARLIER_CONVERSATIONS = 50
EDITABLE_FIELDS = frozenset({"name", "email", "phone"})
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{2,38}$")


def card_of(contact: Contact) -> dict[str, object]:
    return {
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


def check_phone(phone: str) -> str:
    cleaned = " ".join(phone.split())
    if not _PHONE.match(cleaned) or sum(char.isdigit() for char in cleaned) < 3:
        raise InvalidInput("Enter a phone number: digits, spaces, brackets and dashes, + in front.", field="phone")
    return cleaned


def check_profile_field(name: str, value: str | None) -> str | None:
    """The stored value of an edited name/email/phone; None (or blank) clears it."""
    if value is None or not value.strip():
        return None
    if name == "email":
        return check_email(value)
    if name == "phone":
        return check_phone(value)
    return check_name(value, field="name", max_length=MAX_NAME_LENGTH)


def merged_properties(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """`current` with `changes` applied: a string sets a property, None deletes it."""
    merged = dict(current)
    for key, value in changes.items():
        if not 1 <= len(key) <= MAX_PROPERTY_KEY_LENGTH:
            raise InvalidInput(
                "A property name must be 1-{max} characters long.", field="properties", max=MAX_PROPERTY_KEY_LENGTH
            )
        if value is None:
            merged.pop(key, None)
        elif len(value) > MAX_PROPERTY_VALUE_LENGTH:
            raise InvalidInput(
                "A property value can be at most {max} characters long.",
                field="properties",
                max=MAX_PROPERTY_VALUE_LENGTH,
            )
        else:
            merged[key] = value
    if len(merged) > MAX_PROPERTIES:
        raise InvalidInput("A contact can have at most {max} properties.", field="properties", max=MAX_PROPERTIES)
    return merged


async def contact_card(session: AsyncSession, actor: Actor, contact_id: ContactId) -> dict[str, object]:
    """`{"contact": card, "conversations": [...]}`: the dialogs the actor may see, newest first."""
    actor.require(Permission.WORK_INBOX)
    contact = await access_visible_contact(session, actor, contact_id)
    query = (
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.workspace_id == actor.workspace_id,
            visible_to(actor),
        )
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(MAX_EARLIER_CONVERSATIONS)
    )
    conversations = list((await session.execute(query)).scalars())
    tags = await tags_of(session, [conversation.id for conversation in conversations])
    return {
        "contact": card_of(contact),
        "conversations": [
            {
                "id": conversation.id,
                "channel": conversation.channel,
                "status": conversation.status,
                "created_at": conversation.created_at.isoformat(),
                "last_message_at": _iso(conversation),
                "tags": tags[conversation.id],
            }
            for conversation in conversations
        ],
    }


async def update_contact(
    session: AsyncSession,
    actor: Actor,
    contact_id: ContactId,
    *,
    fields: Mapping[str, str | None],
    properties: Mapping[str, str | None],
) -> dict[str, object]:
    """Change the given profile fields (None clears) and properties (None deletes); the new card."""
    actor.require(Permission.WORK_INBOX)
    contact = await access_visible_contact(session, actor, contact_id)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput("Only name, email and phone can be edited.", field=sorted(unknown)[0])
    cleaned = {name: check_profile_field(name, value) for name, value in fields.items()}
    new_properties = merged_properties(contact.properties, properties)
    for name, value in cleaned.items():
        setattr(contact, name, value)
    if new_properties != contact.properties:
        contact.properties = new_properties  # a new dict: JSONB changes are noticed by assignment
    await session.flush()
    return card_of(contact)


def _iso(conversation: Conversation) -> str | None:
    return None if conversation.last_message_at is None else conversation.last_message_at.isoformat()
