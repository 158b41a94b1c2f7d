"""The only way to load conversation-side tenant rows: another workspace's id is NotFound, and so is
a dialog the operator may not see (the workspace restricts operators to their groups' dialogs)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, exists, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import GroupMember, Membership, OperatorGroup, Workspace
from accounts.roles import Role
from conversations.models import Attachment, CannedReply, Contact, Conversation, Message, Tag
from core.errors import NotFound
from core.ids import CannedReplyId, ContactId, ConversationId, GroupId, MessageId, OperatorId, TagId, WorkspaceId


def sees_every_group(actor: Actor) -> bool:
    return actor.role is Role.ADMIN


def _unrestricted(actor: Actor) -> ColumnElement[bool]:
    restricted = select(Workspace.restrict_to_groups).where(Workspace.id == actor.workspace_id).scalar_subquery()
    return not_(restricted)


def _my_groups(actor: Actor) -> ColumnElement[bool]:
    return Conversation.group_id.in_(select(GroupMember.group_id).where(GroupMember.operator_id == actor.operator_id))


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """SQL: the conversations `actor` may see. Admins see all; with the workspace's "restrict to
    groups" on, an operator sees dialogs of their groups, of no group, and those assigned to them."""
    if sees_every_group(actor):
        return true()
    allowed = [_unrestricted(actor), Conversation.group_id.is_(None)]
    if actor.operator_id is not None:  # an API key acts for no one: no groups, nothing assigned
        allowed += [_my_groups(actor), Conversation.assignee_id == actor.operator_id]
    return or_(*allowed)


@dataclass(frozen=True)
class VisibilityScope:
    """`visible_to` in Python, for deciding about many dialogs (live events, colleagues) without a
    query each: everything, or dialogs of no group, of `group_ids`, and those assigned to `operator_id`."""

    everything: bool
    operator_id: OperatorId | None = None
    group_ids: frozenset[GroupId] = frozenset()

    def sees(self, group_id: GroupId | None, assignee_id: OperatorId | None) -> bool:
        return (
            self.everything
            or group_id is None
            or group_id in self.group_ids
            or (self.operator_id is not None and assignee_id == self.operator_id)
        )


async def visibility_scope(session: AsyncSession, actor: Actor) -> VisibilityScope:
    """What `actor` sees now. A person's role is read again (a long-lived socket keeps its actor);
    one who is no longer a member of the workspace is NotFound."""
    if actor.operator_id is not None:
        role = await session.scalar(
            select(Membership.role).where(
                Membership.workspace_id == actor.workspace_id, Membership.operator_id == actor.operator_id
            )
        )
        if role is None:
            raise NotFound("Workspace not found.")
        actor = replace(actor, role=Role(role))
    scopes = await member_scopes(session, actor.workspace_id, {actor.operator_id: actor.role})
    return scopes[actor.operator_id]


async def member_scopes(
    session: AsyncSession, workspace_id: WorkspaceId, roles: Mapping[OperatorId | None, Role]
) -> dict[OperatorId | None, VisibilityScope]:
    """The scopes of several members at once (`roles`: their current roles; None: an API key)."""
    restricted = await session.scalar(select(Workspace.restrict_to_groups).where(Workspace.id == workspace_id))
    people = [operator_id for operator_id, role in roles.items() if operator_id is not None and role is not Role.ADMIN]
    groups: dict[OperatorId, set[GroupId]] = {}
    if restricted and people:
        rows = await session.execute(
            select(GroupMember.operator_id, GroupMember.group_id).where(
                GroupMember.workspace_id == workspace_id, GroupMember.operator_id.in_(people)
            )
        )
        for operator_id, group_id in rows:
            groups.setdefault(operator_id, set()).add(group_id)
    return {
        operator_id: VisibilityScope(
            everything=not restricted or role is Role.ADMIN,  # as `sees_every_group`
            operator_id=operator_id,
            group_ids=frozenset(groups.get(operator_id, ())) if operator_id is not None else frozenset(),
        )
        for operator_id, role in roles.items()
    }


async def routing_of(
    session: AsyncSession, workspace_id: WorkspaceId, conversation_ids: Collection[ConversationId]
) -> dict[ConversationId, tuple[GroupId | None, OperatorId | None]]:
    """Each conversation's group and assignee (what `VisibilityScope.sees` asks), in one query."""
    rows = await session.execute(
        select(Conversation.id, Conversation.group_id, Conversation.assignee_id).where(
            Conversation.workspace_id == workspace_id, Conversation.id.in_(list(conversation_ids))
        )
    )
    return {conversation_id: (group_id, assignee_id) for conversation_id, group_id, assignee_id in rows}


async def access_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, for_update: bool = False
) -> Conversation:
    query = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == actor.workspace_id, visible_to(actor)
    )
    locked = query.with_for_update(of=Conversation) if for_update else query
    conversation = (await session.execute(locked)).scalar_one_or_none()
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


async def access_visible_contact(session: AsyncSession, actor: Actor, contact_id: ContactId) -> Contact:
    """A contact of the workspace; where visibility is restricted, one with a dialog the actor may see."""
    query = select(Contact).where(Contact.id == contact_id, Contact.workspace_id == actor.workspace_id)
    if not sees_every_group(actor):
        seen = exists().where(Conversation.contact_id == Contact.id, visible_to(actor))
        query = query.where(or_(_unrestricted(actor), seen))
    contact = (await session.execute(query)).scalar_one_or_none()
    if contact is None:
        raise NotFound("Contact not found.")
    return contact


async def access_visible_group(session: AsyncSession, actor: Actor, group_id: GroupId) -> OperatorGroup:
    """A group of the workspace whose dialogs the actor may see (all of them, unless restricted)."""
    query = select(OperatorGroup).where(OperatorGroup.id == group_id, OperatorGroup.workspace_id == actor.workspace_id)
    if not sees_every_group(actor):
        member = exists().where(GroupMember.group_id == OperatorGroup.id, GroupMember.operator_id == actor.operator_id)
        query = query.where(or_(_unrestricted(actor), member))
    group = (await session.execute(query)).scalar_one_or_none()
    if group is None:
        raise NotFound("Group not found.")
    return group


async def access_tag(session: AsyncSession, actor: Actor, tag_id: TagId) -> Tag:
    tag = await session.get(Tag, tag_id)
    if tag is None or tag.workspace_id != actor.workspace_id:
        raise NotFound("Tag not found.")
    return tag


async def access_canned_reply(session: AsyncSession, actor: Actor, reply_id: CannedReplyId) -> CannedReply:
    """A shared canned reply of the workspace, or one of the actor's own (never a colleague's)."""
    reply = await session.get(CannedReply, reply_id)
    if reply is None or reply.workspace_id != actor.workspace_id:
        raise NotFound("Canned reply not found.")
    if reply.owner_id is not None and reply.owner_id != actor.operator_id:
        raise NotFound("Canned reply not found.")
    return reply


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
