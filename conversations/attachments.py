"""Storing uploaded files and resolving the ids a message refers to."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import AttachmentRef
from conversations.attachment_policy import check_upload
from conversations.models import Attachment
from core.errors import NotFound
from core.files import FileStore
from core.ids import ContactId, WorkspaceId


async def store_attachment(
    session: AsyncSession,
    store: FileStore,
    *,
    workspace_id: WorkspaceId,
    contact_id: ContactId | None,
    name: str,
    data: bytes,
) -> Attachment:
    """`contact_id` is the uploading visitor (None for operators): only they may attach it."""
    clean_name, content_type = check_upload(name, data)
    attachment_id = secrets.token_urlsafe(18)
    key = f"{workspace_id}/{attachment_id}"
    await store.put(key, data)
    attachment = Attachment(
        id=attachment_id,
        workspace_id=workspace_id,
        contact_id=contact_id,
        name=clean_name,
        content_type=content_type,
        size=len(data),
        storage_key=key,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def attachments_for_message(
    session: AsyncSession, *, workspace_id: WorkspaceId, contact_id: ContactId | None, ids: Sequence[str]
) -> tuple[AttachmentRef, ...]:
    """The referenced uploads, each the sender's own (a visitor's, or for operators any operator upload)."""
    if not ids:
        return ()
    rows = (
        await session.execute(
            select(Attachment).where(Attachment.id.in_(list(ids)), Attachment.workspace_id == workspace_id)
        )
    ).scalars()
    found = {attachment.id: attachment for attachment in rows if attachment.contact_id == contact_id}
    missing = [attachment_id for attachment_id in ids if attachment_id not in found]
    if missing:
        raise NotFound("File not found.")
    return tuple(
        AttachmentRef(id=a.id, name=a.name, content_type=a.content_type, size=a.size) for a in (found[i] for i in ids)
    )
