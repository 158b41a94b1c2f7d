"""Contacts: found or created by a channel address, their visit properties, and identification —
merging an anonymous visitor into the contact the site vouches for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.validation import check_email
from conversations.models import Contact, ContactAddress, Conversation
from core.ids import ContactId, WorkspaceId

MAX_PROPERTY_LENGTH = 1000
PROFILE_FIELDS = ("name", "email", "phone")


@dataclass(frozen=True)
class Profile:
    """What a channel or a site says about a person; None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None


async def contact_for_address(
    session: AsyncSession, *, workspace_id: WorkspaceId, channel: str, address: str, lock: bool = False
) -> Contact:
    """The contact behind a channel address, created on first sight (safe against a concurrent twin)."""
    contact = await _contact_by_address(session, workspace_id, channel, address, lock=lock)
    if contact is not None:
        return contact
    fresh = Contact(workspace_id=workspace_id, properties={})
    session.add(fresh)
    await session.flush()
    inserted = await session.execute(
        insert(ContactAddress)
        .values(workspace_id=workspace_id, contact_id=fresh.id, channel=channel, address=address)
        .on_conflict_do_nothing(index_elements=["workspace_id", "channel", "address"])
        .returning(ContactAddress.id)
    )
    if inserted.scalar_one_or_none() is None:
        # Another transaction claimed the address first: use its contact, drop ours.
        await session.delete(fresh)
        found = await _contact_by_address(session, workspace_id, channel, address, lock=lock)
        assert found is not None
        return found
    return fresh


async def _contact_by_address(
    session: AsyncSession, workspace_id: WorkspaceId, channel: str, address: str, *, lock: bool
) -> Contact | None:
    query = (
        select(Contact)
        .join(ContactAddress, ContactAddress.contact_id == Contact.id)
        .where(
            ContactAddress.workspace_id == workspace_id,
            ContactAddress.channel == channel,
            ContactAddress.address == address,
        )
    )
    if lock:
        query = query.with_for_update(of=Contact)
    return (await session.execute(query)).scalar_one_or_none()


async def record_email(session: AsyncSession, contact_id: ContactId, email: str) -> str:
    """The visitor left an email to be answered at (checked, normalised): it becomes the contact's."""
    checked = check_email(email)
    await session.execute(update(Contact).where(Contact.id == contact_id).values(email=checked))
    return checked


def note_visit(contact: Contact, properties: Mapping[str, str], profile: Profile, *, at: datetime) -> None:
    """Record what this visit told us: page, referrer, UTM tags, browser; and any profile fields."""
    cleaned = {key[:64]: value[:MAX_PROPERTY_LENGTH] for key, value in properties.items() if value}
    if any(contact.properties.get(key) != value for key, value in cleaned.items()):
        contact.properties = {**contact.properties, **cleaned}  # rewrite the JSONB only when it changed
    for name in (*PROFILE_FIELDS, "language"):
        value = getattr(profile, name)
        if value:
            setattr(contact, name, value[:254])
    contact.last_seen_at = at


async def identify(
    session: AsyncSession,
    current: Contact,
    *,
    address: ContactAddressKey,
    external_id: str,
    profile: Profile,
    at: datetime,
) -> Contact:
    """The site vouched (by HMAC) that the person at `address` is its user `external_id`.
    An anonymous visitor is merged into that user's contact (addresses and conversations move);
    a browser that belonged to another user only hands this address over to the new one."""
    if current.external_id == external_id:
        note_visit(current, {}, profile, at=at)
        return current
    known = await _contact_by_external_id(session, current.workspace_id, external_id)
    if known is None and current.external_id is None:
        current.external_id = external_id
        note_visit(current, {}, profile, at=at)
        await session.flush()
        return current
    if known is None:
        known = Contact(workspace_id=current.workspace_id, external_id=external_id, properties={})
        session.add(known)
        await session.flush()
    if current.external_id is None:
        await _merge(session, source=current, target=known)
        note_visit(known, current.properties, profile, at=at)
    else:
        await session.execute(
            update(ContactAddress)
            .where(
                ContactAddress.workspace_id == address.workspace_id,
                ContactAddress.channel == address.channel,
                ContactAddress.address == address.address,
            )
            .values(contact_id=known.id)
        )
        note_visit(known, {}, profile, at=at)
    await session.flush()
    return known


@dataclass(frozen=True)
class ContactAddressKey:
    workspace_id: WorkspaceId
    channel: str
    address: str


async def _contact_by_external_id(session: AsyncSession, workspace_id: WorkspaceId, external_id: str) -> Contact | None:
    query = (
        select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.external_id == external_id)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def _merge(session: AsyncSession, *, source: Contact, target: Contact) -> None:
    moved: dict[str, ContactId] = {"contact_id": target.id}
    await session.execute(update(ContactAddress).where(ContactAddress.contact_id == source.id).values(**moved))
    await session.execute(update(Conversation).where(Conversation.contact_id == source.id).values(**moved))
    # Keep merges one level deep: whatever pointed at the source now points at the target.
    await session.execute(update(Contact).where(Contact.merged_into_id == source.id).values(merged_into_id=target.id))
    source.merged_into_id = target.id
    for name in PROFILE_FIELDS:
        if getattr(target, name) is None and getattr(source, name) is not None:
            setattr(target, name, getattr(source, name))
