"""Test data for billing: contacts (people) of a workspace, written as the conversations package does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.models import Contact
from core.ids import ContactId, WorkspaceId


async def make_contact(
    session: AsyncSession, workspace_id: WorkspaceId, *, merged_into_id: ContactId | None = None
) -> ContactId:
    contact = Contact(workspace_id=workspace_id, properties={}, merged_into_id=merged_into_id)
    session.add(contact)
    await session.flush()
    return contact.id
