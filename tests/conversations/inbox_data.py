"""Test data for the inbox: contacts, conversations in any state, messages, groups and tags."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import GroupMember, OperatorGroup, Workspace
from conversations.messages import append_message
from conversations.models import Contact, Conversation, ConversationTag, Tag
from core.ids import GroupId, OperatorId, WorkspaceId

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def make_contact(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Contact:
    contact = Contact(workspace_id=workspace_id, name=name, email=email, phone=phone, properties={})
    session.add(contact)
    await session.flush()
    await session.refresh(contact)
    return contact


async def make_conversation(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    *,
    contact: Contact | None = None,
    text: str | None = "Hello",
    at: datetime = NOON,
    status: str = "open",
    owner: str = "queue",
    channel: str = "web",
    group_id: GroupId | None = None,
    assignee_id: OperatorId | None = None,
    queued_at: datetime | None = None,
) -> Conversation:
    """A conversation whose last activity is `at` (one visitor message `text`, unless None)."""
    if contact is None:
        contact = await make_contact(session, workspace_id)
    conversation = Conversation(
        workspace_id=workspace_id,
        contact_id=contact.id,
        channel=channel,
        owner=owner,
        status=status,
        group_id=group_id,
        assignee_id=assignee_id,
        queued_at=queued_at,
        created_at=at,
    )
    session.add(conversation)
    await session.flush()
    await session.refresh(conversation)
    if text is not None:
        await append_message(session, conversation, author="visitor", text=text, at=at, status="received")
    return conversation


async def make_group(
    session: AsyncSession, workspace: Workspace, name: str, *, members: tuple[OperatorId, ...] = ()
) -> OperatorGroup:
    group = OperatorGroup(workspace_id=workspace.id, name=name)
    session.add(group)
    await session.flush()
    session.add_all(GroupMember(group_id=group.id, operator_id=member, workspace_id=workspace.id) for member in members)
    await session.flush()
    return group


async def make_tag(session: AsyncSession, workspace_id: WorkspaceId, name: str, color: str = "#6b7280") -> Tag:
    tag = Tag(workspace_id=workspace_id, name=name, color=color)
    session.add(tag)
    await session.flush()
    return tag


async def put_tag(session: AsyncSession, conversation: Conversation, tag: Tag) -> None:
    session.add(ConversationTag(conversation_id=conversation.id, tag_id=tag.id, workspace_id=tag.workspace_id))
    await session.flush()


async def restrict_to_groups(session: AsyncSession, workspace: Workspace) -> None:
    await session.execute(update(Workspace).where(Workspace.id == workspace.id).values(restrict_to_groups=True))
